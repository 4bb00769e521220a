import { createCipheriv, type Cipher } from 'node:crypto';
// The page's writer's XOR (eight signed words a turn: 0.20 ns of CPU a byte here, against 0.40-0.63 a word a turn).
import { xorWords } from '../../common/envelope/seipd-write.ts';

// AES-256-CFB (full-block feedback from a zero IV, as SEIPDv1 uses it) computed through OpenSSL's
// CBC encryption. OpenSSL's CFB calls its one-block AES function for every 16 bytes; its CBC is one
// assembly loop. With C_0 = 0 and Z_i = E(C_{i-1}), CFB writes C_i = P_i ^ Z_i. CBC of the same
// plaintext from Y_0 = E(0) writes Y_i = E(P_i ^ Y_{i-1}); by induction Y_{i-1} = Z_i, so
// C_i = P_i ^ Y_{i-1}: CFB's keystream is CBC's output one block late, and the last partial
// block's keystream is the last Y itself. The XOR is done on 32-bit words where both sides allow.
// Every buffer that held keystream (it XORed with the ciphertext gives the plaintext) is zeroed.

const BLOCK = 16;
const ZERO_BLOCK = new Uint8Array(BLOCK);

/** `memory[at, at + n) ^= keys[from, from + n)`, a word at a time when their addresses agree mod 4. */
function xorAligned(memory: Uint8Array, at: number, keys: Uint8Array, from: number, n: number): void {
  const address = memory.byteOffset + at;
  let i = 0;
  if (((address - keys.byteOffset - from) & 3) === 0) {
    for (; i < n && ((address + i) & 3) !== 0; i++) memory[at + i]! ^= keys[from + i]!;
    const words = (n - i) >> 2;
    if (words > 0) {
      xorWords(new Int32Array(memory.buffer, address + i, words), new Int32Array(keys.buffer, keys.byteOffset + from + i, words));
      i += words << 2;
    }
  }
  for (; i < n; i++) memory[at + i]! ^= keys[from + i]!;
}

/** Encrypts a stream with AES-256-CFB in place, a range of memory at a time; end() must follow, even after a failure. */
export class CfbInPlace {
  readonly #cbc: Cipher;
  // Keystream made and not yet used: spare[spareAt, 16). At first all of E(0), the first block's.
  readonly #spare = Buffer.alloc(BLOCK);
  #spareAt = 0;
  #position = 0;
  // Where the keystream is copied when its address and the memory's disagree mod 4 (the slower way).
  #shifted: Uint8Array | null = null;

  constructor(key: Uint8Array) {
    const ecb = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
    const first = ecb.update(ZERO_BLOCK);
    ecb.final();
    this.#cbc = createCipheriv('aes-256-cbc', key, first).setAutoPadding(false);
    first.copy(this.#spare);
    first.fill(0);
  }

  /** Encrypts `memory[from, to)`, the stream's next bytes, where they lie. */
  encrypt(memory: Uint8Array, from: number, to: number): void {
    // CBC reads the whole range before any of it is overwritten; it returns whole blocks only.
    const keys = this.#cbc.update(memory.subarray(from, to));
    try {
      const fromSpare = Math.min(BLOCK - this.#spareAt, to - from);
      xorAligned(memory, from, this.#spare, this.#spareAt, fromSpare);
      this.#spareAt += fromSpare;
      const at = from + fromSpare;
      if (keys.length === 0) return;
      // The spare ran out at a block boundary of the stream, where these keys begin.
      this.#xor(memory, at, keys, to - at);
      keys.copy(this.#spare, BLOCK - (keys.length - (to - at)), to - at);
      this.#spareAt = BLOCK - (keys.length - (to - at));
    } finally {
      keys.fill(0);
      this.#position += to - from;
    }
  }

  #xor(memory: Uint8Array, at: number, keys: Buffer, n: number): void {
    const skew = (memory.byteOffset + at - keys.byteOffset) & 3;
    if (skew === 0 || n < 64) return xorAligned(memory, at, keys, 0, n);
    this.#shifted ??= new Uint8Array(keys.length + 4);
    if (this.#shifted.length < n + skew) this.#shifted = new Uint8Array(n + skew);
    const shifted = this.#shifted;
    shifted.set(keys.subarray(0, n), skew);
    try {
      xorAligned(memory, at, shifted, skew, n);
    } finally {
      shifted.fill(0, skew, skew + n);
    }
  }

  /** Pushes CBC's last partial block (plaintext it holds) out with zeros, and erases the spare keystream. */
  end(): void {
    this.#spare.fill(0);
    this.#shifted?.fill(0);
    try {
      const partial = this.#position % BLOCK;
      if (partial !== 0) this.#cbc.update(ZERO_BLOCK.subarray(partial)).fill(0);
      this.#cbc.final();
    } catch {
      // Only after a failure mid-stream, whose error is the one to report; the context is dropped.
    }
  }
}
