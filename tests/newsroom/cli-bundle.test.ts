import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { freshBundle } from '../../bin/fresh-bundle.js';
import { buildCliBundle, CLI_BUNDLE_DIR } from '../../newsroom/cli-bundle.ts';
import { writeExportedSubmission } from '../helpers/export-fixture.ts';

// `sealdrop decrypt` from the CLI's bundle (newsroom/cli-bundle.ts): it decrypts as the TypeScript
// does, with its worker threads' code inside it, and bin/sealdrop.js runs it only while every file
// it was made from is older than it (bin/fresh-bundle.js), so an edited source never runs stale.
let dir: string;
let bundleDir: string;
const plaintext = randomBytes(5 * 4096 + 77);

/** Runs the bundle's entry itself, as bin/sealdrop.js does when it is fresh. */
function runBundle(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(bundleDir, 'cli.mjs'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-cli-bundle-'));
  // Beside the real one, so that its packages resolve from node_modules as they do there.
  mkdirSync(path.dirname(CLI_BUNDLE_DIR), { recursive: true });
  bundleDir = mkdtempSync(path.join(path.dirname(CLI_BUNDLE_DIR), 'test-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  writeFileSync(path.join(dir, 'key.asc'), pair.privateKey);
  const recipient = (await readJournalistKey(pair.publicKey)).key;
  await writeExportedSubmission(path.join(dir, 'export'), { designation: 'steady-heron', id: 'c'.repeat(32), name: 'f.bin', plaintext, recipient, partSize: 4096 });
  await buildCliBundle(bundleDir);
}, 60_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
});

test('the bundle decrypts an export byte for byte in its worker threads, and refuses an altered part leaving nothing', async () => {
  expect(freshBundle(pathToFileURL(bundleDir + path.sep))?.href).toBe(pathToFileURL(path.join(bundleDir, 'cli.mjs')).href);
  // What decrypt loads makes it stale, the worker's code included; the server's other code does not.
  const { inputs } = JSON.parse(readFileSync(path.join(bundleDir, 'inputs.json'), 'utf8')) as { inputs: string[] };
  const root = path.resolve(import.meta.dirname, '../..');
  for (const f of ['server/cli.ts', 'server/config.ts', 'newsroom/decrypt.ts', 'newsroom/part-worker.ts', 'common/envelope/open.ts', 'newsroom/safe-copy.ts']) expect(inputs).toContain(path.join(root, f));
  expect(inputs).not.toContain(path.join(root, 'server/main.ts'));
  const ok = await runBundle(['decrypt', '--key', path.join(dir, 'key.asc'), '--in', path.join(dir, 'export'), '--out', path.join(dir, 'plain')]);
  expect(ok.code, ok.stderr).toBe(0);
  expect(readFileSync(path.join(dir, 'plain', 'steady-heron', 'c'.repeat(32), 'f.bin')).equals(plaintext)).toBe(true);

  const part = path.join(dir, 'export', 'steady-heron', 'c'.repeat(32), 'part-00003.pgp');
  const bytes = readFileSync(part);
  bytes[bytes.length - 30]! ^= 1;
  writeFileSync(part, bytes);
  const bad = await runBundle(['decrypt', '--key', path.join(dir, 'key.asc'), '--in', path.join(dir, 'export'), '--out', path.join(dir, 'bad')]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/Part 3 could not be decrypted.*Nothing was written\./s);
  const out = path.join(dir, 'bad');
  expect(existsSync(out) ? readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : []).toEqual([]);
}, 60_000);

test('a bundle is run only while none of its sources changed since it was made, and never without its list', () => {
  const fake = mkdtempSync(path.join(dir, 'fake-'));
  const url = pathToFileURL(fake + path.sep);
  const sources = ['a.ts', 'b.ts'].map((f) => path.join(fake, f));
  for (const f of sources) writeFileSync(f, '');
  const list = (builtAt: number, inputs = sources) => writeFileSync(path.join(fake, 'inputs.json'), JSON.stringify({ builtAt, entry: 'cli.mjs', inputs }));
  expect(freshBundle(url)).toBeNull(); // no list
  list(Date.now() + 60_000);
  expect(freshBundle(url)?.href).toBe(new URL('cli.mjs', url).href);
  utimesSync(sources[1]!, new Date(Date.now() + 120_000), new Date(Date.now() + 120_000)); // saved after the build
  expect(freshBundle(url)).toBeNull();
  list(Date.now() + 180_000, [...sources, path.join(fake, 'gone.ts')]); // a source since deleted
  expect(freshBundle(url)).toBeNull();
  list(Date.now() + 180_000, []);
  expect(freshBundle(url)).toBeNull();
});
