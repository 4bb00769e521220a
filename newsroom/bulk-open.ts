import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { literalDataRange, readSeipdPlaintext, seipdCiphertext } from '../common/envelope/seipd-read.ts';
import type { OpenedSessionKey } from '../common/envelope/session-key.ts';
import { PartWriter, PlaintextCopy, type PartSink, type WriteTarget, type WrittenPart } from './part-sinks.ts';
import { AES_BLOCK, PieceMemory } from './cfb-pieces.ts';

export { PIECE } from './cfb-pieces.ts';

// The bulk layer of one part in native code (OpenSSL's AES, SHA-1 and SHA-256, a WebAssembly XOR):
// openpgp.js did it in JavaScript, copying packets and hashing SHA-1 itself, which made `sealdrop
// decrypt` slower than gpg. seipd-read.ts finds the ciphertext and verifies what comes out.
//
// A part is read whole into the worker's WebAssembly memory, then decrypted a piece at a time, and
// each piece, while it is still in the core's cache, goes through SHA-1 (the MDC), SHA-256 (the
// manifest's part digest) and to a sink (part-sinks.ts): written into the output file at its place
// (sealdrop decrypt), or copied into memory that carries the plaintext to the caller. Done
// part-wide, one pass after another over 4 MiB (ECB, XOR, SHA-1, SHA-256), every pass read memory
// the one before had pushed out of the cache.

const SHA1_BYTES = 20;

export type OpenedPart = { plaintext: Uint8Array; sha256: string };

type Range = { start: number; end: number };

/** Opens parts, one at a time, in one thread's memory (PieceMemory), into a sink (part-sinks.ts). */
export class PartOpener extends PieceMemory {
  /** Opens the part in `file` (v3 PKESKs, SEIPDv1) under its session key: the file's bytes in it and their SHA-256. */
  openFile(file: string, key: OpenedSessionKey): OpenedPart {
    const sink = new PlaintextCopy();
    const sha256 = this.openHeld(this.readFile(file), key, sink);
    return { plaintext: sink.plaintext, sha256 };
  }

  /**
   * Opens the part in `file` and writes its own bytes into the output at `target`, a piece at a
   * time as they are decrypted; what it wrote, for the main thread to check against the manifest.
   */
  async openFileTo(file: string, key: OpenedSessionKey, target: WriteTarget, writeBytes?: number): Promise<WrittenPart> {
    const sink = new PartWriter(target, writeBytes);
    let sha256: string;
    try {
      sha256 = this.openHeld(this.readFile(file), key, sink);
    } finally {
      await sink.settled(); // even when it failed: nothing may write to the output once this answers
    }
    return sink.result(sha256);
  }

  /** As openFile, from the object's bytes (left as they were). */
  openBytes(object: Uint8Array, key: OpenedSessionKey): OpenedPart {
    this.room(object.length).set(object);
    const sink = new PlaintextCopy();
    const sha256 = this.openHeld(object.length, key, sink);
    return { plaintext: sink.plaintext, sha256 };
  }

  /** Reads `file` whole into memory: its size. */
  private readFile(file: string): number {
    const fd = openSync(file, 'r');
    let size = 0;
    try {
      const room = this.room(fstatSync(fd).size);
      for (let got = 1; got > 0 && size < room.length; size += got) got = readSync(fd, room, size, room.length - size, size);
    } finally {
      closeSync(fd);
    }
    return size;
  }

  /** CFB decryption (zero IV, no resynchronisation, as SEIPDv1 uses it) of `ciphertext`, into a copy. */
  cfbDecrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    this.room(ciphertext.length).set(ciphertext);
    this.decryptPieces(key, 0, ciphertext.length, () => undefined);
    return new Uint8Array(this.memory.buffer, 0, ciphertext.length).slice();
  }

  /** Opens the object held in the first `size` bytes of memory into `sink`: the SHA-256 of its plaintext. */
  private openHeld(size: number, key: OpenedSessionKey, sink: PartSink): string {
    const memory = new Uint8Array(this.memory.buffer);
    const chunks = seipdCiphertext(memory.subarray(0, size));
    // Partial lengths: the chunks moved down to follow the first, one run of ciphertext (nothing Sealdrop writes).
    let end = chunks[0]!.byteOffset;
    for (const chunk of chunks) end += (memory.copyWithin(end, chunk.byteOffset, chunk.byteOffset + chunk.length), chunk.length);
    return this.openCiphertext(key.data, chunks[0]!.byteOffset, end, sink);
  }

  /** Decrypts and verifies the SEIPD body in memory[start, end): the literal packet's data into `sink`, and its SHA-256. */
  private openCiphertext(key: Uint8Array, start: number, end: number, sink: PartSink): string {
    const memory = new Uint8Array(this.memory.buffer);
    const sha1 = createHash('sha1');
    const sha256 = createHash('sha256');
    const hashedTo = end - SHA1_BYTES; // the MDC's SHA-1 covers every byte before its own value
    let data: Range | null | undefined; // where the file's bytes lie, once the first piece shows it
    this.decryptPieces(key, start, end, (a, b) => {
      if (data === undefined) {
        const found = literalDataRange(memory.subarray(start, b), AES_BLOCK, end - start);
        data = found && { start: start + found.start, end: start + found.end };
        if (data) sink.begin(data.end - data.start);
      }
      if (a < hashedTo) sha1.update(memory.subarray(a, Math.min(b, hashedTo)));
      const [from, to] = data ? [Math.max(a, data.start), Math.min(b, data.end)] : [0, 0];
      if (from < to) {
        sha256.update(memory.subarray(from, to));
        sink.put(memory.subarray(from, to), from - data!.start);
      }
    });
    const mdc = sha1.digest();
    const whole = memory.subarray(start, end);
    const plaintext = readSeipdPlaintext(whole, AES_BLOCK, (hashed) => (hashed.byteOffset === start && hashed.length === hashedTo - start ? mdc : createHash('sha1').update(hashed).digest()));
    if (data && plaintext.byteOffset === data.start && plaintext.length === data.end - data.start) {
      sink.end();
      return sha256.digest('hex');
    }
    // Framed in another way readSeipdPlaintext accepts (a literal packet in partial chunks): put whole now.
    sink.begin(plaintext.length);
    sink.put(plaintext, 0);
    sink.end();
    return createHash('sha256').update(plaintext).digest('hex');
  }

}

/** CFB decryption as above into a copy of `ciphertext`, which is left as it was. */
export const cfbDecrypt = (key: Uint8Array, ciphertext: Uint8Array, piece?: number): Uint8Array => new PartOpener(piece).cfbDecrypt(key, ciphertext);

/** Decrypts and verifies one whole object (v3 PKESKs, SEIPDv1) under its unwrapped session key, leaving `object` as it was. */
export const openBulk = (object: Uint8Array, key: OpenedSessionKey, piece?: number): OpenedPart => new PartOpener(piece).openBytes(object, key);
