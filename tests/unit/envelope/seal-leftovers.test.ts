import { afterEach, expect, test, vi } from 'vitest';
import { CHUNK_BYTES, sealBulk } from '../../../common/envelope/seipd-write.ts';
import { SealPool } from '../../../client/source/seal-pool.ts';

// Plaintext and session keys left behind when sealing fails half-way (review R2): each is erased by
// the code that holds it last. SHA-1 and postMessage cannot be made to fail for real here: the first
// is made to fail on purpose, the second fails for a real reason (one buffer transferred twice).
afterEach(() => vi.restoreAllMocks());

test('sealBulk: the plaintext copied for the MDC is erased if SHA-1 fails', async () => {
  const seen: Uint8Array[] = [];
  const digest = crypto.subtle.digest.bind(crypto.subtle);
  vi.spyOn(crypto.subtle, 'digest').mockImplementation(async (algorithm, data) => {
    if (algorithm !== 'SHA-1') return digest(algorithm, data);
    seen.push(data as Uint8Array);
    throw new Error('no SHA-1 today');
  });
  const data = new Uint8Array(1000).fill(0x41);
  await expect(sealBulk(data, { sessionKey: new Uint8Array(32).fill(1), random: new Uint8Array(16).fill(2) })).rejects.toThrow('no SHA-1 today');
  expect(seen).toHaveLength(1);
  expect(seen[0]!.length).toBeGreaterThan(data.length);
  expect(seen[0]!.every((b) => b === 0)).toBe(true);
});

test('sealBulk: no keystream is left behind (WebCrypto\'s CBC outputs and the IVs that chain 1 MiB chunks)', async () => {
  const outputs: ArrayBuffer[] = [];
  const ivs: Uint8Array[] = [];
  const encrypt = crypto.subtle.encrypt.bind(crypto.subtle);
  vi.spyOn(crypto.subtle, 'encrypt').mockImplementation(async (algorithm, key, data) => {
    ivs.push((algorithm as unknown as { iv: Uint8Array }).iv);
    const out = await encrypt(algorithm, key, data);
    outputs.push(out);
    return out;
  });
  const data = new Uint8Array(CHUNK_BYTES * 2 + 5000).fill(0x41);
  await sealBulk(data, { sessionKey: new Uint8Array(32).fill(1), random: new Uint8Array(16).fill(2) });
  expect(outputs).toHaveLength(4); // E(0), then three chunks
  for (const out of outputs) expect(new Uint8Array(out).every((b) => b === 0)).toBe(true);
  expect(ivs).toHaveLength(4);
  for (const iv of ivs) expect(iv.every((b) => b === 0)).toBe(true);
});

/** A worker's stand-in over a real MessageChannel: postMessage is the real one (and throws for real). */
function channelWorker() {
  const { port1 } = new MessageChannel();
  const w = { terminated: false, onmessage: null, onerror: null as null | ((e: { preventDefault(): void }) => void), onmessageerror: null, postMessage: (m: unknown, t: Transferable[]) => port1.postMessage(m, t), terminate: () => ((w.terminated = true), port1.close()) };
  return w;
}

test('the seal pool erases the part and its session key if postMessage throws, and terminates a worker that failed', async () => {
  const w = channelWorker();
  const pool = new SealPool([w as unknown as Worker]);
  // One buffer under both: transferring it twice is a DataCloneError, and nothing is transferred.
  const shared = new Uint8Array(64).fill(7);
  const data = shared.subarray(0, 32);
  const sessionKey = shared.subarray(32);
  await expect(pool.seal(data, sessionKey, new Uint8Array(0))).rejects.toThrow();
  expect(shared.every((b) => b === 0)).toBe(true);
  // A part in flight when its worker fails: refused, the worker terminated, the pool broken (later parts sealed on the page).
  const inFlight = pool.seal(new Uint8Array(16).fill(9), new Uint8Array(32).fill(3), new Uint8Array(0));
  w.onerror!({ preventDefault() {} });
  await expect(inFlight).rejects.toThrow('A sealing worker stopped.');
  expect(w.terminated).toBe(true);
  expect(pool.broken).toBe(true);
});
