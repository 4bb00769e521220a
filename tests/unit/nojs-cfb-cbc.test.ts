import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, expect, test } from 'vitest';
import { CfbInPlace } from '../../server/nojs/cfb-cbc.ts';

// AES-256-CFB computed through OpenSSL's CBC (server/nojs/cfb-cbc.ts) against OpenSSL's own CFB,
// for a stream cut into ranges of any length at any address: the keystream left over between
// ranges, the last partial block, and the XOR by words, by bytes and through the shifted copy.
const ZERO_IV = Buffer.alloc(16);
const cfb = (key: Uint8Array, plain: Uint8Array) => createCipheriv('aes-256-cfb', key, ZERO_IV).update(plain);

/** Encrypts `plain` in a memory of its own at `offset`, in ranges of the given lengths (the rest in one). */
function inPlace(key: Uint8Array, plain: Uint8Array, offset: number, cuts: number[], shared = true) {
  const backing = shared ? new SharedArrayBuffer(offset + plain.length + 8) : new ArrayBuffer(offset + plain.length + 8);
  // A view that itself begins at any address, as a Buffer from Node's pool does.
  const memory = new Uint8Array(backing, offset % 4, offset - (offset % 4) + plain.length + 4);
  const at = offset - (offset % 4);
  memory.set(plain, at);
  const stream = new CfbInPlace(key);
  let from = at;
  for (const cut of cuts) {
    const to = Math.min(from + cut, at + plain.length);
    stream.encrypt(memory, from, to);
    from = to;
  }
  stream.encrypt(memory, from, at + plain.length);
  stream.end();
  return { memory, out: Buffer.from(memory.subarray(at, at + plain.length)) };
}

test('any stream in ranges of any length at any address: the very bytes of OpenSSL\'s CFB', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 200_000 }),
      fc.integer({ min: 0, max: 63 }),
      fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 140_000 })), { maxLength: 12 }),
      fc.boolean(),
      (size, offset, cuts, shared) => {
        const key = randomBytes(32);
        const plain = randomBytes(size);
        expect(inPlace(key, plain, offset, cuts, shared).out.equals(cfb(key, plain))).toBe(true);
      },
    ),
    { numRuns: 150, seed: 34 },
  );
});

test('every address mod 16 and every tail length: a 64 KiB range then the rest, as sealInPlace cuts a part', () => {
  const key = randomBytes(32);
  for (let offset = 0; offset < 16; offset++) {
    for (const size of [65_536 + 30, 65_536 + 31, 65_536 + 45, 131_072 + 29, 70_000, 70_001, 70_002, 70_003]) {
      const plain = randomBytes(size);
      // 30 bytes of head first (the prefix and a 4 MiB part's literal head), then slices of 64 KiB.
      const { out } = inPlace(key, plain, offset, [30, 65_536, 65_536]);
      expect(out.equals(cfb(key, plain)), `offset ${offset}, ${size} bytes`).toBe(true);
    }
  }
});

// The CBC output is keystream (XORed with the stored ciphertext it gives the plaintext): every
// buffer OpenSSL hands back while a stream is encrypted must be zero once the stream ends.
const proto = Object.getPrototypeOf(createCipheriv('aes-256-ecb', randomBytes(32), null)) as { update: (...a: unknown[]) => Buffer };
const update = proto.update;
afterEach(() => void (proto.update = update));

test('no keystream is left in what OpenSSL returned, aligned or not, with a partial last block', () => {
  const key = randomBytes(32);
  const plains = [0, 1, 2, 3].map(() => randomBytes(3 * 65_536 + 7));
  const expected = plains.map((plain) => cfb(key, plain));
  const outputs: Buffer[] = [];
  proto.update = function (this: unknown, ...args: unknown[]) {
    const out = update.apply(this, args);
    outputs.push(out);
    return out;
  };
  const got = plains.map((plain, offset) => inPlace(key, plain, offset, [30, 65_536, 65_536]).out);
  proto.update = update;
  got.forEach((out, offset) => expect(out.equals(expected[offset]!), `offset ${offset}`).toBe(true));
  // Per stream: E(0), the 30 bytes, two slices, the rest, the zeros that push the partial block out.
  expect(outputs).toHaveLength(4 * 6);
  expect(outputs.filter((b) => b.some((x) => x !== 0))).toHaveLength(0);
});
