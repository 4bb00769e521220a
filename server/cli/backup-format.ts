// A backup file: the standard envelope (parts and a manifest, each an OpenPGP message GnuPG can
// read) around one plaintext stream of entries, framed so that it can be read back in order:
//
//   "SEALDROP-BACKUP-1\n"  then each part as [u32 length][ciphertext]  then the manifest as
//   [u32 length][ciphertext]  then the trailer [u32 manifest length]["SDBK"]
//
// The plaintext stream: each entry [u16 name length][name][u64 size][bytes]. Nothing of it (names,
// sizes, how many objects) is readable without a key; the manifest's digests authenticate it all.

export const MAGIC = Buffer.from('SEALDROP-BACKUP-1\n');
/** The manifest's media type: a backup (database, objects, onion keys), or the TOTP key file's own export. */
export const BACKUP_TYPE = 'application/x-sealdrop-backup';
export const KEY_FILE_TYPE = 'application/x-sealdrop-key-file';
/** Plaintext per part of a backup. */
export const BACKUP_PART_SIZE = 4 * 1024 * 1024;
export const TRAILER = Buffer.from('SDBK');

/** Not a backup, or one that was cut short or altered outside the envelope's framing. */
export class BackupFormatError extends Error {
  override name = 'BackupFormatError';
}

export function entryHeader(name: string, size: number): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  const header = Buffer.alloc(2 + bytes.length + 8);
  header.writeUInt16BE(bytes.length, 0);
  bytes.copy(header, 2);
  header.writeBigUInt64BE(BigInt(size), 2 + bytes.length);
  return header;
}

export const framed = (bytes: Uint8Array): Buffer[] => [u32(bytes.length), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)];
export const trailer = (manifestLength: number): Buffer => Buffer.concat([u32(manifestLength), TRAILER]);

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** Splits the decrypted stream back into entries, calling begin/write for each as its bytes arrive. */
export class EntryParser {
  private pending = Buffer.alloc(0);
  private left = 0;
  private inEntry = false;
  constructor(private readonly sink: { begin(name: string): Promise<void>; write(bytes: Uint8Array): Promise<void> }) {}

  async push(chunk: Uint8Array): Promise<void> {
    let data = Buffer.from(chunk);
    while (data.length > 0) {
      if (this.inEntry) {
        const take = Math.min(this.left, data.length);
        await this.sink.write(data.subarray(0, take));
        this.left -= take;
        data = data.subarray(take);
        if (this.left === 0) this.inEntry = false;
        continue;
      }
      this.pending = Buffer.concat([this.pending, data]);
      data = Buffer.alloc(0);
      if (this.pending.length < 2) return;
      const nameLength = this.pending.readUInt16BE(0);
      if (this.pending.length < 2 + nameLength + 8) return;
      const name = this.pending.subarray(2, 2 + nameLength).toString('utf8');
      this.left = Number(this.pending.readBigUInt64BE(2 + nameLength));
      data = this.pending.subarray(2 + nameLength + 8);
      this.pending = Buffer.alloc(0);
      await this.sink.begin(name);
      this.inEntry = this.left > 0;
    }
  }

  /** Throws unless the stream ended exactly at the end of an entry. */
  finish(): void {
    if (this.inEntry || this.pending.length > 0) throw new BackupFormatError('This backup is damaged: it ends inside an entry.');
  }
}
