import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { partFileName } from '../../common/export-layout.ts';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { writeExportedSubmission } from '../helpers/export-fixture.ts';

// sealdrop decrypt's threads write each part into .sealdrop-partial-* before its MDC and the
// manifest's digest are checked. Stopped (Ctrl-C, kill, a closed terminal), the run removes it
// and everything else it wrote; killed outright (SIGKILL), it cannot, and the next run removes
// what it left, never what a live run is writing. tests/newsroom/hold-hook.mjs holds a run at a
// known point (a part never handed to a thread, a write that never ends) so the test can stop it.

const BIN = fileURLToPath(new URL('../../bin/sealdrop.js', import.meta.url));
const HOOK = fileURLToPath(new URL('./hold-hook.mjs', import.meta.url));
const PART = 600_000;
const FLIP = 50_000; // in part 3's file: inside the first 256 KiB its thread writes, before its MDC is read
const plaintext = randomBytes(6 * PART);
const [tamperedId, cleanId, notesId] = ['a', 'b', 'c'].map((c) => c.repeat(32)) as [string, string, string];
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-decrypt-interrupt-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  writeFileSync(path.join(dir, 'key.asc'), pair.privateKey);
  const recipient = (await readJournalistKey(pair.publicKey)).key;
  const one = (out: string, id: string, name: string, bytes: Uint8Array, partSize: number) =>
    writeExportedSubmission(path.join(dir, out), { designation: 'calm-lynx', id, name, plaintext: bytes, recipient, partSize });
  const tampered = await one('tampered', tamperedId, 'big.bin', plaintext, PART);
  const part3 = readFileSync(path.join(tampered, partFileName(3)));
  part3[FLIP]! ^= 0x01;
  writeFileSync(path.join(tampered, partFileName(3)), part3);
  await one('clean', cleanId, 'small.bin', plaintext.subarray(0, 10_000), 4096);
  await one('notes', notesId, 'notes.txt', Buffer.from('Meet at the usual place.\n'), 4096);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Ended = { code: number | null; signal: string | null; stderr: string };
type Run = { child: ReturnType<typeof spawn>; done: Promise<Ended>; ended?: Ended };

/** `sealdrop decrypt` of export `input` into `out`, held by hold-hook.mjs as `hold` says. */
function decrypt(input: string, out: string, hold: Record<string, string> = {}, more: string[] = []): Run {
  const args = [BIN, 'decrypt', '--key', path.join(dir, 'key.asc'), '--in', path.join(dir, input), '--out', path.join(dir, out), ...more];
  const child = spawn(process.execPath, args, { env: { ...process.env, NODE_OPTIONS: `--import=${HOOK}`, ...hold }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const run: Run = { child, done: new Promise((resolve) => child.on('close', (code, signal) => resolve((run.ended = { code, signal, stderr })))) };
  return run;
}

const holdPart4 = { HOLD_TEST_PART: partFileName(4) };
const everything = (out: string) => (existsSync(path.join(dir, out)) ? readdirSync(path.join(dir, out), { recursive: true }).map(String).sort() : []);
const partials = (out: string) => everything(out).filter((f) => path.basename(f).startsWith('.sealdrop-partial-'));

/** Waits (polling: the run is held, it cannot end meanwhile) until `ready` holds; fails if `run` ended. */
async function until<T>(run: Run, ready: () => T | undefined | false): Promise<T> {
  for (;;) {
    const value = ready();
    if (value) return value;
    if (run.ended) throw new Error(`the run ended (${run.ended.code}): ${run.ended.stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The partial of `out` once it holds part 3's first 256 KiB: written, not yet checked, with the flipped bit in. */
const tamperedPartial = (run: Run, out: string) => until(run, () => {
  const file = partials(out)[0];
  const bytes = file && readFileSync(path.join(dir, out, file)).subarray(2 * PART, 2 * PART + 256 * 1024);
  const original = plaintext.subarray(2 * PART, 2 * PART + 256 * 1024);
  return bytes && bytes.length === original.length && bytes.subarray(0, 1024).equals(original.subarray(0, 1024)) && !bytes.equals(original) && file;
});

test.each([['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const)('%s while the partial holds a tampered part not yet checked: it is removed, nothing is left, exit %i', async (signal, code) => {
  const out = signal.toLowerCase();
  const run = decrypt('tampered', out, holdPart4);
  await tamperedPartial(run, out);
  run.child.kill(signal);
  const ended = await run.done;
  expect(ended.code, ended.stderr).toBe(code);
  expect(ended.stderr).toContain(`Stopped by ${signal}: Nothing was written.`);
  expect(everything(out)).toEqual([]);
});

test('a partial left by a SIGKILLed run is removed by the next run, a live run\'s is not, and the next run decrypts as before', async () => {
  const killed = decrypt('tampered', 'shared', holdPart4);
  const left = await tamperedPartial(killed, 'shared');
  killed.child.kill('SIGKILL');
  expect((await killed.done).signal).toBe('SIGKILL');
  expect(partials('shared')).toEqual([left]); // a SIGKILL cannot be caught: this is what the next run must remove
  // Another process with this one's id (ids are reused), and a partial from before owners were named.
  const folder = path.join(dir, 'shared', path.dirname(left));
  const reused = `.sealdrop-partial-${process.pid}-1-${'0'.repeat(12)}`;
  const unowned = `.sealdrop-partial-${'1'.repeat(12)}`;
  for (const f of [reused, unowned]) writeFileSync(path.join(folder, f), 'unchecked');
  mkdirSync(path.join(folder, 'safe', '.sealdrop-work-Ab3dE9'), { recursive: true });

  const live = decrypt('tampered', 'shared', holdPart4);
  const owned = await until(live, () => partials('shared').find((f) => f !== left && ![reused, unowned].includes(path.basename(f))));
  expect(partials('shared')).toEqual([owned]);
  expect(everything('shared').filter((f) => f.includes('.sealdrop-work-'))).toEqual([]);
  const next = decrypt('clean', 'shared');
  const ended = await next.done;
  expect(ended.code, ended.stderr).toBe(0);
  expect(readFileSync(path.join(dir, 'shared', 'calm-lynx', cleanId, 'small.bin')).equals(plaintext.subarray(0, 10_000))).toBe(true);
  expect(partials('shared')).toEqual([owned]); // the live run's, left alone
  live.child.kill('SIGINT');
  expect((await live.done).code).toBe(130);
  expect(everything('shared').filter((f) => f.includes('.sealdrop-'))).toEqual([]);
});

test('decrypt --safe stopped during a safe copy: the verified file stays, the copy under way and its work folder go', async () => {
  const held = path.join(dir, 'held');
  const run = decrypt('notes', 'safe-stop', { HOLD_TEST_WRITE: '.safe.txt', HOLD_TEST_HELD: held }, ['--safe']);
  await until(run, () => existsSync(held));
  expect(everything('safe-stop').some((f) => f.includes('.sealdrop-work-'))).toBe(true);
  run.child.kill('SIGINT');
  const ended = await run.done;
  expect(ended.code, ended.stderr).toBe(130);
  const notes = path.join('calm-lynx', notesId, 'notes.txt');
  expect(everything('safe-stop').filter((f) => !f.endsWith(notesId) && f !== 'calm-lynx' && !f.endsWith('safe'))).toEqual([notes]);
  expect(readFileSync(path.join(dir, 'safe-stop', notes), 'utf8')).toBe('Meet at the usual place.\n');
});
