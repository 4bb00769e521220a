import { createHash, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { BackupFormatError, MAGIC, TRAILER } from './backup-format.ts';

// Reads a backup file (layout in backup-format.ts) for restore. Whoever can write the file while
// restore runs (a shared USB stick, a network mount, another account) could swap its content
// between a digest pass and a decrypting pass. So there is one pass: the file is opened once,
// every byte is read exactly once, and the SHA-256 that --sha256 is compared with is computed over
// exactly the bytes that were decrypted, in file order.

// A manifest lists a 64-character digest per part: 100,000 parts (400 GiB) stay far below this.
const MAX_MANIFEST = 16 * 1024 * 1024;
const DRAIN_CHUNK = 1024 * 1024;

/** Opens a file restore reads, once: a regular file only (a pipe or device is refused, and never blocks the open). */
export async function openRegular(file: string, what: string): Promise<{ handle: FileHandle; size: number }> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new BackupFormatError(`${file} is not a regular file: restore reads a ${what} only from a file, read once.`);
    return { handle, size: info.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** The manifest from the file's end, then the parts in order from its start, each byte read once and hashed. */
export class BackupReader {
  private offset = MAGIC.length;
  private digested = false;
  private constructor(
    private readonly handle: FileHandle,
    private readonly partsEnd: number,
    readonly manifest: Uint8Array,
    /** The file's last bytes from the manifest's length prefix on, hashed after the parts. */
    private readonly end: Buffer[],
    private readonly hash: ReturnType<typeof createHash>,
    private readonly maxPart: number,
  ) {}

  /** `maxPart`: the longest a part may be (its plaintext size and the envelope's overhead), so a crafted length cannot ask for more memory. */
  static async open(file: string | FileHandle, maxPart: number): Promise<BackupReader> {
    const { handle, size } = typeof file === 'string' ? await openRegular(file, 'backup') : { handle: file, size: (await file.stat()).size };
    try {
      // The smallest backup: the magic, an empty manifest's length, the trailer.
      if (size < MAGIC.length + 12) throw new BackupFormatError('This is not a Sealdrop backup, or it was cut short.');
      const head = await readAt(handle, 0, MAGIC.length);
      const tail = await readAt(handle, size - 8, 8);
      if (!head.equals(MAGIC) || !tail.subarray(4).equals(TRAILER)) throw new BackupFormatError('This is not a Sealdrop backup, or it was cut short.');
      const length = tail.readUInt32BE(0);
      if (length > MAX_MANIFEST) throw new BackupFormatError('This backup is damaged: its manifest is too large.');
      const partsEnd = size - 8 - length - 4;
      if (partsEnd < MAGIC.length) throw new BackupFormatError('This backup is damaged: its manifest does not fit.');
      const framed = await readAt(handle, partsEnd, 4 + length);
      if (framed.readUInt32BE(0) !== length) throw new BackupFormatError('This backup is damaged: its manifest\'s two lengths differ.');
      const hash = createHash('sha256').update(head);
      return new BackupReader(handle, partsEnd, framed.subarray(4), [framed, tail], hash, maxPart);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The next part; null once the parts are over (the manifest says how many there must be). */
  async nextPart(): Promise<Uint8Array | null> {
    if (this.offset >= this.partsEnd) return null;
    const length = await readAt(this.handle, this.offset, 4);
    const n = length.readUInt32BE(0);
    if (n > this.maxPart || this.offset + 4 + n > this.partsEnd) throw new BackupFormatError('This backup is damaged: a part is too long.');
    const part = await readAt(this.handle, this.offset + 4, n);
    // Hashed only here, as the offset moves on: the hash always covers exactly [0, offset).
    this.hash.update(length).update(part);
    this.offset += 4 + n;
    return part;
  }

  /** Whether the bytes read (all of them: every part first) are the file whose SHA-256 is `hex`. */
  matches(hex: string): boolean {
    if (this.offset !== this.partsEnd || this.digested) throw new Error('BackupReader.matches: once, after the last part');
    this.digested = true;
    for (const bytes of this.end) this.hash.update(bytes);
    const expected = Buffer.from(/^[0-9a-f]{64}$/i.test(hex) ? hex : '', 'hex');
    return expected.length === 32 && timingSafeEqual(this.hash.digest(), expected);
  }

  /**
   * After a failure: reads (once, without decrypting) what is left and says whether the file is the
   * one whose digest was given, so that a wrong file is named as such rather than as damaged.
   */
  async drainMatches(hex: string): Promise<boolean> {
    if (this.digested) return false;
    try {
      while (this.offset < this.partsEnd) {
        const chunk = await readAt(this.handle, this.offset, Math.min(DRAIN_CHUNK, this.partsEnd - this.offset));
        this.hash.update(chunk);
        this.offset += chunk.length;
      }
    } catch {
      return false; // it shrank while being read: not the file that was digested
    }
    return this.matches(hex);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new BackupFormatError('This backup is damaged: it ends too soon.');
    done += bytesRead;
  }
  return buffer;
}
