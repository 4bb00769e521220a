import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { parseManifest, readJournalistKey, type PublicKey } from '../../common/envelope/index.ts';
import { discardWritten, sealStream } from '../../server/nojs/seal-stream.ts';
import { ConflictError, NotFoundError, openStore, type Store } from '../../server/store/index.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { makeSqKey, type SqKey } from '../helpers/sequoia.ts';
import { newSource } from '../helpers/sources.ts';

// The no-JS path writes (and fsyncs) each part's object as it is sealed, but records nothing of the
// upload until the completing transaction (store/written.ts): a crash in between leaves only
// objects no row names, which the next start sweeps, with the cut upload's row.
const PART = 64 * 1024;
let dir: string;
let store: Store;
let dave: GpgHome;
let carol: SqKey;
let recipients: PublicKey[];
const objects = async () => (await readdir(path.join(dir, 'objects')).catch(() => [])).filter((n) => !n.startsWith('.')).sort();

beforeAll(async () => {
  [dave, carol] = await Promise.all([makeGpgHome('dave', 'ed25519'), makeSqKey('carol')]);
  recipients = [(await readJournalistKey(await readFile(dave.publicKeyFile, 'utf8'))).key, (await readJournalistKey(carol.publicKey)).key];
});
afterAll(async () => Promise.all([dave?.cleanup(), carol?.cleanup()]));
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-nojs-'));
  store = openStore(dir);
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

const seal = (file: Buffer, wholeFileDigest = true) =>
  sealStream(Readable.from([file.subarray(0, 1000), file.subarray(1000)]), { store, recipients, sourceId: newSource(store).id, name: 'a.pdf', type: 'application/pdf', partSize: PART, maxParts: 100, wholeFileDigest });

/** The start-up sequence of serve.ts: cut no-JS uploads dropped, then unnamed objects swept. */
async function restart(): Promise<void> {
  store.close();
  store = openStore(dir);
  await store.submissions.dropCutUploads();
  await store.submissions.sweepOrphans();
}

test('parts and manifest are written but not recorded; a crash before the completing commit leaves nothing recorded, and the next start sweeps the files', async () => {
  const written = await seal(randomBytes(3 * PART + 5));
  expect(written.parts.map((p) => p.n)).toEqual([1, 2, 3, 4]); // padded to its size class: 4 parts
  expect(await objects()).toEqual([...written.parts.map((p) => p.blob), written.manifest].sort());
  expect(store.submissions.pendingObjects(written.id)).toEqual([]); // no part or manifest row yet
  await restart(); // the process dies here: the form was never answered
  expect(await objects()).toEqual([]);
  expect(() => store.submissions.pendingObjects(written.id)).toThrow(NotFoundError);
  expect(store.submissions.listComplete()).toEqual([]);
});

test('the completing transaction records every part and the manifest, once; the objects survive a restart', async () => {
  const written = await seal(randomBytes(2 * PART));
  store.submissions.completeWritten([written]);
  expect(() => store.submissions.completeWritten([written])).toThrow(ConflictError);
  await restart();
  expect(store.submissions.objects(written.id)).toEqual({ manifest: written.manifest, parts: written.parts.map((p) => p.blob) });
  expect(await objects()).toHaveLength(written.parts.length + 1);
});

test('a discarded upload leaves no file and no row', async () => {
  const before = await objects();
  const written = await seal(randomBytes(PART + 1));
  await discardWritten(store, written);
  expect(await objects()).toEqual(before);
  expect(() => store.submissions.pendingObjects(written.id)).toThrow(NotFoundError);
});

describe('a manifest with and without the whole file\'s SHA-256 opens with gpg and sq', () => {
  test.each([true, false])('whole-file digest: %s', async (whole) => {
    const file = randomBytes(PART + 77);
    const written = await seal(file, whole);
    const sealed = path.join(dir, 'manifest.pgp');
    await writeFile(sealed, await store.blobs.read(written.manifest));
    const [byGpg, bySq] = await Promise.all([dave.decrypt(sealed), carol.decrypt(sealed)]);
    expect(byGpg.equals(bySq)).toBe(true);
    const manifest = parseManifest(byGpg);
    expect(manifest.sha256).toBe(whole ? createHash('sha256').update(file).digest('hex') : undefined);
    expect(manifest.size).toBe(file.length);
    expect(manifest.parts).toHaveLength(written.parts.length);
  });
});
