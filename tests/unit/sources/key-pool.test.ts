import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, test } from 'vitest';
import { assertAddressedTo, decryptObject, DecryptionError, generateKeyPair, readJournalistKey, readPrivateKey } from '../../../common/envelope/index.ts';
import { classify } from '../../../server/http/errors.ts';
import { KeyPool, KeyPoolBusyError } from '../../../server/sources/key-pool.ts';

// The key worker pool: source-key work for anonymous requests runs off the event loop, and a
// flood of such requests meets a bounded queue and a 503, not an unbounded backlog.
const pools: KeyPool[] = [];
const pool = (options: ConstructorParameters<typeof KeyPool>[0]) => {
  const p = new KeyPool(options);
  pools.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('KeyPool', () => {
  test('makes a source key pair in a worker; the key unlocks with its passphrase', async () => {
    const pair = await pool({ workers: 1 }).run({ kind: 'generate', passphrase: 'k'.repeat(128) });
    expect((await readPrivateKey(pair.privateKey, 'k'.repeat(128))).isDecrypted()).toBe(true);
  });

  test('seals a part in a worker where it lies in shared memory, to exactly the journalist keys given, and it decrypts whole', async () => {
    const journalist = await generateKeyPair({ name: 'Jo' });
    const sent = randomBytes(300_000);
    const memory = new SharedArrayBuffer(4096 + sent.length + 22);
    new Uint8Array(memory).set(sent, 4096);
    const { start, end, sha256 } = await pool({ workers: 1 }).run({ kind: 'seal', memory, at: 4096, length: sent.length, recipients: [journalist.publicKey] });
    // The object lies around where the part was; the plaintext is gone from the memory (its ciphertext is there).
    expect(start).toBeLessThan(4096);
    expect(end).toBe(4096 + sent.length + 22);
    expect(Buffer.from(memory, 4096, sent.length).equals(sent)).toBe(false);
    expect(sha256).toBe(createHash('sha256').update(sent).digest('hex'));
    const ciphertext = new Uint8Array(Buffer.from(memory, start, end - start));
    await assertAddressedTo(ciphertext, [(await readJournalistKey(journalist.publicKey)).recipientKeyId]);
    const plain = await decryptObject({ data: ciphertext, keys: [await readPrivateKey(journalist.privateKey)] });
    expect(Buffer.from(plain).equals(sent)).toBe(true);
  });

  test('a part that cannot be sealed (no room for its PKESK) is erased in the worker', async () => {
    const journalist = await generateKeyPair({ name: 'Jo' });
    const memory = new SharedArrayBuffer(16 + 1000 + 22);
    new Uint8Array(memory).fill(0x5a, 16, 1016);
    await expect(pool({ workers: 1 }).run({ kind: 'seal', memory, at: 16, length: 1000, recipients: [journalist.publicKey] })).rejects.toThrow(/room/);
    expect(new Uint8Array(memory).every((b) => b === 0)).toBe(true);
  });

  test('past the queue bound, a task is refused at once with a 503', async () => {
    const p = pool({ workers: 1, maxQueued: 1 });
    const running = p.run({ kind: 'generate', passphrase: 'a' }); // taken by the worker
    const queued = p.run({ kind: 'generate', passphrase: 'b' }); // waits
    await new Promise((r) => setImmediate(r));
    const refused = p.run({ kind: 'generate', passphrase: 'c' });
    await expect(refused).rejects.toBeInstanceOf(KeyPoolBusyError);
    expect(classify(await refused.catch((e: unknown) => e))).toEqual({ status: 503, code: 'busy' });
    await expect(Promise.all([running, queued])).resolves.toHaveLength(2);
  });

  test('errors come back as the envelope’s classes; an overrun task is abandoned', async () => {
    const p = pool({ workers: 1 });
    const { privateKey } = await p.run({ kind: 'generate', passphrase: 'right' });
    await expect(p.run({ kind: 'open', privateKey, passphrase: 'wrong', replies: [] })).rejects.toBeInstanceOf(DecryptionError);
    const hasty = pool({ workers: 1, taskTimeoutMs: 1 });
    await expect(hasty.run({ kind: 'generate', passphrase: 'x' })).rejects.toThrow(/too long/);
    await expect(hasty.run({ kind: 'generate', passphrase: 'y' })).rejects.toThrow(/too long/); // on a fresh worker
    await expect(p.run({ kind: 'open', privateKey, passphrase: 'right', replies: [] })).resolves.toEqual([]);
  });
});
