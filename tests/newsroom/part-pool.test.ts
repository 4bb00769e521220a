import { randomBytes } from 'node:crypto';
import { setImmediate as tick } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DecryptionError, encryptObject, generateKeyPair, openManifest, openSubmission, readJournalistKey, readPrivateKey, sealFile, SubmissionSealer,
  splitHeader, type PrivateKey, type PublicKey,
} from '../../common/envelope/index.ts';
import { sessionKeyOpener } from '../../common/envelope/session-key.ts';
import { PartPool, ReadAhead } from '../../newsroom/part-pool.ts';

// sealdrop decrypt's pipeline (newsroom/part-pool.ts): parts decrypted in worker threads, several
// at once, handed over strictly in order, with a bounded number started ahead, so a slow disk
// does not make parts pile up in memory.
let key: PrivateKey;
let recipient: PublicKey;
let pool: PartPool;
const unwrap = (object: Uint8Array) => sessionKeyOpener([key])(object.subarray(0, splitHeader(object).sealedAt));

beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'Jo', passphrase: 'pool test passphrase' });
  key = await readPrivateKey(pair.privateKey, 'pool test passphrase');
  recipient = (await readJournalistKey(pair.publicKey)).key;
  pool = new PartPool(2);
});
afterAll(() => pool?.close());

describe('ReadAhead', () => {
  test('items finishing in any order are taken in order', async () => {
    const finishOrder: number[] = [];
    const ahead = new ReadAhead(12, async (n) => {
      for (let i = 0; i < (n * 7) % 5; i++) await tick(); // later items often finish first
      finishOrder.push(n);
      return n;
    }, 4);
    const taken: number[] = [];
    for (let n = 1; n <= 12; n++) taken.push(await ahead.take(n));
    expect(taken).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(finishOrder).not.toEqual(taken); // the order really was shuffled
  });

  test('a stalled writer stops new items from starting: never more than the window in flight', async () => {
    let started = 0;
    const ahead = new ReadAhead(50, async (n) => (started++, n), 3);
    let release!: () => void;
    const stalled = new Promise<void>((r) => (release = r));
    const consumer = (async () => {
      for (let n = 1; n <= 50; n++) {
        await ahead.take(n);
        if (n === 5) await stalled; // the disk stops for a while
      }
    })();
    for (let i = 0; i < 50; i++) await tick();
    expect(started).toBe(5 + 2); // the five taken, and the window's other two
    expect(ahead.inFlight).toBeLessThanOrEqual(3);
    release();
    await consumer;
    expect(ahead.maxInFlight).toBe(3);
    expect(ahead.inFlight).toBe(0);
  });

  test('an item that fails before it is taken is reported when taken, and the process sees no unhandled rejection', async () => {
    const ahead = new ReadAhead(3, async (n) => {
      if (n === 3) throw new Error('part 3 is broken');
      return n;
    }, 3);
    await expect(ahead.take(1)).resolves.toBe(1);
    await tick();
    await expect(ahead.take(2)).resolves.toBe(2);
    await expect(ahead.take(3)).rejects.toThrow('part 3 is broken');
    expect(() => ahead.take(3)).toThrow(RangeError);
  });
});

describe('PartPool', () => {
  test('parts open in worker threads to their plaintext and SHA-256; a malformed one is refused and the others still open', async () => {
    const data = [randomBytes(200_000), randomBytes(5), randomBytes(70_000)];
    const objects = await Promise.all(data.map((d) => encryptObject({ data: d, recipients: [recipient] })));
    const broken = Uint8Array.from(objects[0]!);
    broken[broken.length - 40]! ^= 1;
    const results = await Promise.allSettled([...objects, broken].map(async (o) => pool.open(Uint8Array.from(o), await unwrap(o))));
    for (const [i, d] of data.entries()) {
      const r = results[i]!;
      expect(r.status).toBe('fulfilled');
      if (r.status === 'fulfilled') expect(Buffer.from(r.value.plaintext).equals(d)).toBe(true);
    }
    expect(results[3]!.status).toBe('rejected');
    if (results[3]!.status === 'rejected') {
      expect(results[3]!.reason).toBeInstanceOf(DecryptionError);
      expect((results[3]!.reason as Error).message).toMatch(/modification detection code/);
    }
  });

  test('through openSubmission with a slow writer: every part verified, in order, at most the window in flight', async () => {
    const file = randomBytes(9 * 65_536 + 123);
    const sealer = new SubmissionSealer({ submission: 'c'.repeat(32), name: 'f.bin', type: 'application/octet-stream', recipients: [recipient], partSize: 65_536 });
    const parts: Uint8Array[] = [];
    for await (const part of sealFile(sealer, file.length, async (s, e) => file.subarray(s, e))) parts.push(part);
    const manifest = await openManifest({ data: await sealer.sealManifest(), keys: [key] });
    const ahead = new ReadAhead(manifest.partCount, async (n) => pool.open(Uint8Array.from(parts[n - 1]!), await unwrap(parts[n - 1]!)), 4);
    const written: Uint8Array[] = [];
    await openSubmission({
      manifest, keys: [key], readPart: async () => null, openPart: (n) => ahead.take(n),
      write: async (b) => {
        for (let i = 0; i < 20; i++) await tick(); // a slow disk
        expect(ahead.inFlight).toBeLessThanOrEqual(4);
        written.push(b);
      },
    });
    expect(Buffer.concat(written).equals(file)).toBe(true);
    expect(ahead.maxInFlight).toBe(4);
  });
});
