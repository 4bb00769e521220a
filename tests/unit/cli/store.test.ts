import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { generateKeyPair } from '../../../common/envelope/index.ts';
import { CliError } from '../../../server/cli/args.ts';
import { readKeyFile } from '../../../server/cli/key-file.ts';
import { withCliStore } from '../../../server/cli/store.ts';
import type { Store } from '../../../server/store/index.ts';

// The CLI's one way to open the store (it replaced three wrappers, one of which closed the store
// as soon as an asynchronous command began to wait), and its one reader of a key file (`journalist
// add` and `journalist rotate-key` each had their own).

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-cli-store-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

test('withCliStore keeps the store open until an asynchronous command settles, then closes it', async () => {
  let kept: Store | undefined;
  const count = await withCliStore(dir, async (store, at) => {
    kept = store;
    await new Promise((resolve) => setImmediate(resolve));
    expect(at.dataDir).toBe(path.resolve(dir));
    return store.journalists.count();
  });
  expect(count).toBe(0);
  expect(() => kept!.ping()).toThrow(/not open/);
});

test('withCliStore closes the store when the command fails, and the failure reaches the caller', async () => {
  let kept: Store | undefined;
  await expect(
    withCliStore(dir, async (store) => {
      kept = store;
      await new Promise((resolve) => setImmediate(resolve));
      throw new CliError('refused');
    }),
  ).rejects.toThrow('refused');
  expect(() => kept!.ping()).toThrow(/not open/);
});

test('readKeyFile reads an armoured or a binary key alike, and names a file it cannot read', async () => {
  const { publicKey } = await generateKeyPair({ name: 'jo' });
  const binary = (await openpgp.readKey({ armoredKey: publicKey })).write();
  await writeFile(path.join(dir, 'jo.asc'), publicKey);
  await writeFile(path.join(dir, 'jo.gpg'), binary);
  const [armoured, raw] = [await readKeyFile(path.join(dir, 'jo.asc')), await readKeyFile(path.join(dir, 'jo.gpg'))];
  expect(raw.fingerprint).toBe(armoured.fingerprint);
  expect(raw.armored).toBe(armoured.armored);
  const missing = path.join(dir, 'nothing.asc');
  await expect(readKeyFile(missing)).rejects.toThrow(new CliError(`Cannot read ${missing}.`));
});
