import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, NotEncryptedError, readJournalistKey, readObjectHeaders, readRecipientKeyIds, type JournalistKey } from '../../common/envelope/index.ts';
import { concat, header, packet, partialPacket, splitObject, TAG, type LengthForm } from '../helpers/packets.ts';
import { cpuMs } from '../helpers/cpu-time.ts';

// Threat: the upload check is the one place the server reads hostile bytes as OpenPGP. Whatever
// arrives, it must answer with key IDs or a NotEncryptedError (never another error, a crash or a
// hang), in time bounded by the bytes sent; and it must accept every object the real client makes.
const CASE_MS = 250;
const RUNS = 2000;
let keys: JournalistKey[];
let pool: { object: Uint8Array; ids: string[] }[];

beforeAll(async () => {
  const rsa = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name: 'R' }], format: 'armored', config: { v6Keys: false, aeadProtect: false } });
  const pairs = [await generateKeyPair({ name: 'A' }), await generateKeyPair({ name: 'B' }), rsa];
  keys = await Promise.all(pairs.map((p) => readJournalistKey(p.publicKey)));
  const sets = [[0], [1, 0], [2], [2, 0, 1]];
  pool = await Promise.all(
    sets.flatMap((set) => [0, 700, 20_000].map(async (size) => {
      const recipients = set.map((i) => keys[i]!);
      return { object: await encryptObject({ data: new Uint8Array(size).fill(7), recipients: recipients.map((k) => k.key) }), ids: recipients.map((k) => k.recipientKeyId) };
    })),
  );
});

type Outcome = string[] | 'refused';

/** The reader's answer, failing the test on any other error or on a slow case. */
function outcome(bytes: Uint8Array): Outcome {
  const { value, ms } = cpuMs((): Outcome => {
    try {
      const ids = readObjectHeaders(bytes).recipientKeyIds;
      expect(readRecipientKeyIds(bytes)).toEqual(ids);
      return ids;
    } catch (error) {
      if (!(error instanceof NotEncryptedError)) throw error;
      return 'refused';
    }
  });
  expect(ms).toBeLessThan(CASE_MS); // CPU time: a loaded machine's waits do not count
  return value;
}

const fromPool = () => fc.integer({ min: 0, max: pool.length - 1 }).map((i) => pool[i]!);

describe('any bytes: key IDs or NotEncryptedError, quickly', () => {
  test('random bytes, and random bytes behind a plausible packet tag', () => {
    const tagged = fc.tuple(fc.constantFrom(0x84, 0x85, 0x86, 0x87, 0xc1, 0xd2, 0xc8, 0xca, 0xcb), fc.uint8Array({ maxLength: 2048 }));
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 4096 }), tagged.map(([t, rest]) => concat(new Uint8Array([t]), rest))), (bytes) => {
      outcome(bytes);
    }), { numRuns: RUNS });
  });

  test('valid objects with bits flipped: never another error; flips past the headers change nothing', () => {
    const flips = fc.array(fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 4 });
    fc.assert(fc.property(fromPool(), flips, ({ object, ids }, where) => {
      const bytes = new Uint8Array(object);
      const positions = where.map(([at, bit]) => ((bytes[Math.floor(at * bytes.length)]! ^= 1 << bit), Math.floor(at * bytes.length)));
      const got = outcome(bytes);
      if (positions.every((p) => p > headerEnd(object))) expect(got).toEqual(ids);
    }), { numRuns: RUNS });
  });

  test('truncations and extensions are always refused', () => {
    fc.assert(fc.property(fromPool(), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 600 }), ({ object }, cut, tail) => {
      expect(outcome(object.subarray(0, Math.floor(cut * object.length)))).toBe('refused');
      expect(outcome(concat(object, tail))).toBe('refused');
    }), { numRuns: RUNS });
  });

  test('a rewritten length field is refused unless it states the true length', () => {
    const forms: LengthForm[] = ['new1', 'new2', 'new5', 'old1', 'old2', 'old4'];
    const lengths = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 70_000 }), fc.nat(), fc.constant(0xffffffff));
    fc.assert(fc.property(fromPool(), fc.nat(), lengths, fc.constantFrom(...forms), ({ object, ids }, which, claimed, form) => {
      const packets = packetsOf(object);
      const i = which % packets.length;
      const { tag, body } = packets[i]!;
      if (!fits(tag, claimed, form)) return;
      const rewritten = packets.map((p, j) => (j === i ? concat(header(tag, claimed, form), body) : packet(p.tag, p.body)));
      expect(outcome(concat(...rewritten))).toEqual(claimed === body.length ? ids : 'refused');
    }), { numRuns: RUNS });
  });

  test('packets shuffled, duplicated, dropped or mixed with foreign ones: accepted only as PKESKs then one SEIPD', () => {
    const foreign = [TAG.compressed, TAG.marker, TAG.literal, TAG.trust, TAG.padding, 0, 2, 3, 9, 19, 20, 40, 63].map((tag) => ({ tag, body: new TextEncoder().encode('smuggled') }));
    fc.assert(fc.property(fromPool(), fc.array(fc.nat(), { minLength: 1, maxLength: 7 }), fc.boolean(), ({ object }, picks, partial) => {
      const own = packetsOf(object);
      const all = [...own, ...foreign];
      const chosen = picks.map((n) => all[n % all.length]!);
      const bytes = concat(...chosen.map((p) => (p.tag === TAG.seipd && partial && p.body.length >= 1024 ? partialPacket(p.tag, p.body, 9) : packet(p.tag, p.body))));
      const last = chosen[chosen.length - 1]!;
      const valid = chosen.length >= 2 && last.tag === TAG.seipd && chosen.slice(0, -1).every((p) => p.tag === TAG.pkesk);
      expect(outcome(bytes)).toEqual(valid ? chosen.slice(0, -1).map((p) => keyIdOf(p.body)) : 'refused');
    }), { numRuns: RUNS });
  });
});

describe('what the real client makes is always accepted', () => {
  test('openpgp.js objects for any recipients and plaintext, framed in any legal way', async () => {
    const pkeskForms: LengthForm[] = ['new1', 'new5', 'old1', 'old2', 'old4'];
    await fc.assert(fc.asyncProperty(fc.subarray([0, 1, 2], { minLength: 1 }), fc.uint8Array({ maxLength: 3000 }), fc.constantFrom(...pkeskForms), fc.integer({ min: 9, max: 12 }), async (set, data, form, power) => {
      const recipients = set.map((i) => keys[i]!);
      const object = await encryptObject({ data, recipients: recipients.map((k) => k.key) });
      const ids = recipients.map((k) => k.recipientKeyId);
      expect(outcome(object)).toEqual(ids);
      const packets = packetsOf(object);
      const seipdBody = packets.pop()!.body;
      const head = concat(...packets.map((p) => packet(TAG.pkesk, p.body, fits(TAG.pkesk, p.body.length, form) ? form : 'new5')));
      expect(outcome(concat(head, partialPacket(TAG.seipd, seipdBody, power)))).toEqual(ids);
    }), { numRuns: 150 });
  });
});

test('worst case: 4 MiB of one-byte partial chunks is read in bounded time', () => {
  const { pkesks } = splitObject(pool[0]!.object);
  const chunks = new Uint8Array(4 << 20).fill(0xe0); // 0xe0 = a partial chunk of 1 byte, whose byte is 0xe0 again
  const bytes = concat(...pkesks, new Uint8Array([0xc0 | TAG.seipd, 0xe9, 1]), new Uint8Array(511), chunks, new Uint8Array([0]));
  const { value, ms } = cpuMs(() => readObjectHeaders(bytes).recipientKeyIds);
  expect(value).toEqual(pool[0]!.ids);
  expect(ms).toBeLessThan(2000); // CPU time: a loaded machine's waits do not count
});

/** The packets of an object made by openpgp.js: tag and body. */
function packetsOf(object: Uint8Array): { tag: number; body: Uint8Array }[] {
  const { pkesks, seipdBody } = splitObject(object);
  return [...pkesks.map((p) => ({ tag: TAG.pkesk, body: p.subarray(p[1]! < 192 ? 2 : p[1]! < 224 ? 3 : 6) })), { tag: TAG.seipd, body: seipdBody }];
}

const headerEnd = (object: Uint8Array): number => {
  const { pkesks } = splitObject(object);
  return concat(...pkesks).length + 7; // the SEIPD header (at most 6 bytes) and its version byte
};

const keyIdOf = (pkeskBody: Uint8Array): string => Buffer.from(pkeskBody.subarray(1, 9)).toString('hex');

function fits(tag: number, length: number, form: LengthForm): boolean {
  if (form.startsWith('old') && tag > 15) return false;
  const max = { new1: 191, new2: 8383, new5: 0xffffffff, old1: 0xff, old2: 0xffff, old4: 0xffffffff }[form];
  return length <= max && (form !== 'new2' || length >= 192);
}
