import { createCipheriv, type Cipher } from 'node:crypto';
import { wasmXor } from './xor-wasm.ts';

// CFB decryption (zero IV, no resynchronisation, as SEIPDv1 uses it) in a thread's WebAssembly
// memory, a piece at a time, for PartOpener (bulk-open.ts): OpenSSL's ECB and a WebAssembly XOR.

export const AES_BLOCK = 16;
const WASM_PAGE = 64 * 1024;
/**
 * Decrypted and hashed this much at a time: a few pieces' worth fit in a core's L2 cache. Each
 * ECB call returns new memory that only the garbage collector frees; smaller outputs are reused
 * more and fault in fewer new pages (512 MiB, medians of five runs: 32 and 64 KiB 1.63 s of CPU,
 * 45,000 and 56,000 page faults; 128 KiB 1.79 s, 96,000; 256 KiB 1.75 s, 93,000).
 */
export const PIECE = 64 * 1024;
/** The first piece holds the literal packet's header (at most 18 + 6 + 261 bytes), to find the file's bytes. */
const MIN_PIECE = 512;
const ZERO_BLOCK: Uint8Array = new Uint8Array(AES_BLOCK);

/**
 * One thread's memory for opening parts, one at a time: the part's bytes, decrypted where they
 * lie, and after them the keystream of one piece. It grows to the largest part opened and is
 * reused for the next, so a part costs no new memory, page faults or garbage collection here.
 */
export class PieceMemory {
  protected readonly memory = new WebAssembly.Memory({ initial: 1 });
  private readonly xor = wasmXor(this.memory);

  constructor(protected readonly piece = PIECE) {
    if (!Number.isInteger(piece) || piece < MIN_PIECE || piece % AES_BLOCK !== 0) throw new RangeError('A piece is a whole number of AES blocks, at least 512 bytes.');
  }

  /** The first `bytes` of memory, grown to hold them and one piece's keystream after them. */
  protected room(bytes: number): Uint8Array {
    const need = bytes + 2 * AES_BLOCK + this.piece;
    const have = this.memory.buffer.byteLength;
    if (need > have) this.memory.grow(Math.ceil((need - have) / WASM_PAGE));
    return new Uint8Array(this.memory.buffer, 0, bytes);
  }

  /**
   * CFB decryption of memory[start, end) in place, a piece at a time, `done(a, b)` called after
   * each piece [a, b). Plaintext block i is ciphertext block i XOR AES(ciphertext block i-1),
   * block 0 taking the zero IV: unlike encryption that runs in parallel, so a piece is one ECB call
   * (OpenSSL pipelines ECB with AES-NI; its CFB goes a block at a time, four times slower), then
   * the XOR. The last ciphertext block of a piece is kept before the XOR overwrites it: the next
   * piece's first block needs it.
   */
  protected decryptPieces(key: Uint8Array, start: number, end: number, done: (a: number, b: number) => void): void {
    const memory = new Uint8Array(this.memory.buffer);
    const keystream = (end + AES_BLOCK - 1) & ~(AES_BLOCK - 1);
    const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
    let previous = ZERO_BLOCK;
    for (let a = start; a < end; a += this.piece) {
      const b = Math.min(a + this.piece, end);
      previous = this.decryptPiece(ecb, memory, a, b, previous, keystream);
      done(a, b);
    }
    ecb.final(); // whole blocks, no padding: nothing more
  }

  /** One piece [a, b), `previous` the ciphertext block before it; returns the piece's last ciphertext block. */
  private decryptPiece(ecb: Cipher, memory: Uint8Array, a: number, b: number, previous: Uint8Array, keystream: number): Uint8Array {
    const blocks = Math.ceil((b - a) / AES_BLOCK);
    memory.set(ecb.update(previous), keystream);
    if (blocks > 1) memory.set(ecb.update(memory.subarray(a, a + (blocks - 1) * AES_BLOCK)), keystream + AES_BLOCK);
    const last = memory.slice(b - AES_BLOCK, b); // a full block whenever another piece follows
    this.xor(a, keystream, b - a);
    for (let i = (b - a) & ~(AES_BLOCK - 1); i < b - a; i++) memory[a + i]! ^= memory[keystream + i]!;
    return last;
  }
}
