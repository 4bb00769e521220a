import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, type JournalistKey } from '../../common/envelope/index.ts';
import { exportSubmissions } from '../../server/cli/export.ts';
import { openStore } from '../../server/store/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { storeSubmission } from '../helpers/conversation.ts';
import { writeExportedSubmission } from '../helpers/export-fixture.ts';
import { newSource } from '../helpers/sources.ts';

// `sealdrop decrypt` after a key rotation: an export holds one submission sealed to the journalist's
// old key and one sealed to the new one (passphrase-protected). Given both keys, each opens with its
// own; given only the new one, the run names the key the old submission needs and writes nothing.
let dir: string;
let oldKey: JournalistKey;
let newKey: JournalistKey;
const files = { old: '', new: '', passphrase: '' };
const ids = { old: 'a'.repeat(32), new: 'b'.repeat(32) };
const plaintext = { old: Buffer.from('Sealed to the key from 2019.\n'), new: Buffer.from('Sealed to the key from today.\n'.repeat(300)) };
const exported = () => path.join(dir, 'export');
const plain = (out: string, id: string, name: string) => path.join(dir, out, 'steady-heron', id, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-decrypt-keys-'));
  const [oldPair, newPair] = await Promise.all([generateKeyPair({ name: 'Jo (2019)' }), generateKeyPair({ name: 'Jo', passphrase: 'new key passphrase' })]);
  [oldKey, newKey] = await Promise.all([readJournalistKey(oldPair.publicKey), readJournalistKey(newPair.publicKey)]);
  files.old = path.join(dir, 'old.asc');
  files.new = path.join(dir, 'new.asc');
  files.passphrase = path.join(dir, 'passphrase.txt');
  writeFileSync(files.old, oldPair.privateKey);
  writeFileSync(files.new, newPair.privateKey);
  writeFileSync(files.passphrase, 'new key passphrase\n');
  for (const which of ['old', 'new'] as const) {
    const recipient = (which === 'old' ? oldKey : newKey).key;
    await writeExportedSubmission(exported(), { designation: 'steady-heron', id: ids[which], name: `${which}.txt`, plaintext: plaintext[which], recipient, partSize: 4096 });
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('--key twice (old and new): every object opens with the key it is sealed to', async () => {
  const run = await sealdrop(['decrypt', '--key', files.new, '--key', files.old, '--passphrase-file', files.passphrase, '--in', exported(), '--out', path.join(dir, 'both')]);
  expect(run.code, run.stderr).toBe(0);
  expect(readFileSync(plain('both', ids.old, 'old.txt')).equals(plaintext.old)).toBe(true);
  expect(readFileSync(plain('both', ids.new, 'new.txt')).equals(plaintext.new)).toBe(true);
});

test('only the new key: the error names the key ID the old submission is sealed to and the key given, and nothing is written', async () => {
  const out = path.join(dir, 'new-only');
  const run = await sealdrop(['decrypt', '--key', files.new, '--passphrase-file', files.passphrase, '--in', exported(), '--out', out]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(path.join('steady-heron', ids.old, 'manifest.pgp'));
  expect(run.stderr).toContain(`sealed to the key(s) with ID ${oldKey.recipientKeyId.toUpperCase()}`);
  expect(run.stderr).toContain(`given: ${newKey.fingerprint}`);
  expect(run.stderr).toMatch(/Nothing was written\./);
  expect(existsSync(out) ? readdirSync(out, { recursive: true }).filter((f) => String(f).endsWith('.txt')) : []).toEqual([]);
});

test('--passphrase-file once per key, in order, or once for all; any other count is a usage error', async () => {
  const perKey = await sealdrop(['decrypt', '--key', files.old, '--key', files.new, '--passphrase-file', files.passphrase, '--passphrase-file', files.passphrase, '--in', exported(), '--out', path.join(dir, 'per-key')]);
  expect(perKey.code, perKey.stderr).toBe(0);
  const three = await sealdrop(['decrypt', '--key', files.old, '--key', files.new, '--key', files.old, '--passphrase-file', files.passphrase, '--passphrase-file', files.passphrase, '--in', exported(), '--out', path.join(dir, 'three')]);
  expect(three.code).toBe(2);
  expect(three.stderr).toMatch(/3 key\(s\), 2 passphrase file\(s\)/);
  // A wrong passphrase names the key file it belongs to.
  writeFileSync(path.join(dir, 'wrong.txt'), 'not it\n');
  const wrong = await sealdrop(['decrypt', '--key', files.old, '--key', files.new, '--passphrase-file', path.join(dir, 'wrong.txt'), '--in', exported(), '--out', path.join(dir, 'wrong')]);
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toContain(`${files.new}: Wrong passphrase`);
});

test('through a real export after jo rotated: the error names the old key\'s fingerprint as jo\'s retired key', async () => {
  const data = path.join(dir, 'drop');
  const store = openStore(data);
  try {
    const jo = store.journalists.add({ username: 'jo', fingerprint: oldKey.fingerprint, recipientKeyId: oldKey.recipientKeyId, publicKey: oldKey.armored, isAdmin: true });
    await storeSubmission(store, newSource(store).id, { name: 'before.txt', type: 'text/plain', data: plaintext.old, recipients: [oldKey.key] });
    store.journalists.rotateKey(jo.id, { fingerprint: newKey.fingerprint, recipientKeyId: newKey.recipientKeyId, publicKey: newKey.armored });
    await storeSubmission(store, newSource(store).id, { name: 'after.txt', type: 'text/plain', data: plaintext.new, recipients: [newKey.key] });
    await exportSubmissions(store, path.join(dir, 'real-export'));
  } finally {
    store.close();
  }
  const run = await sealdrop(['decrypt', '--key', files.new, '--passphrase-file', files.passphrase, '--in', path.join(dir, 'real-export'), '--out', path.join(dir, 'real-new-only')]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`${oldKey.recipientKeyId.toUpperCase()} (fingerprint ${oldKey.fingerprint}, jo's retired key)`);
  const both = await sealdrop(['decrypt', '--key', files.new, '--key', files.old, '--passphrase-file', files.passphrase, '--in', path.join(dir, 'real-export'), '--out', path.join(dir, 'real-both')]);
  expect(both.code, both.stderr).toBe(0);
  expect(both.stdout.match(/Decrypted and verified: /g)).toHaveLength(2);
});
