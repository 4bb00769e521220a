import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, type PublicKey } from '../../common/envelope/index.ts';
import { freshBundle, processStart, stampOf } from '../../bin/fresh-bundle.js';
import { buildCliBundle, CLI_BUNDLE_DIR, commandModules, holds, prune, stampAsRead } from '../../scripts/cli-bundle.ts';
import { writeExportedSubmission } from '../helpers/export-fixture.ts';
import { until } from '../helpers/pages.ts';

// `sealdrop` from the CLI's bundle (scripts/cli-bundle.ts): decrypt decrypts as the TypeScript
// does, with its worker threads' code inside it; bin/sealdrop.js runs a command from it only while
// every file that command can load is as it was at the build (bin/fresh-bundle.js), so an edited
// or replaced source never runs stale; and a rebuild never pulls code from under a command that is running.
let dir: string;
let bundleDir: string;
let recipient: PublicKey;
const plaintext = randomBytes(5 * 4096 + 77);
const root = path.resolve(import.meta.dirname, '../..');

/** Runs `args` with `entry` (a bundle's cli.mjs, or bin/sealdrop.js); `started` gets the child. */
function run(entry: string, args: string[], started?: (pid: number) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    started?.(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the test bundle's entry itself, as bin/sealdrop.js does when it is fresh. */
const runBundle = (args: string[]) => run(fileURLToPath(freshBundle(pathToFileURL(bundleDir + path.sep), args[0])!), args);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-cli-bundle-'));
  // Beside the real one, so that its packages resolve from node_modules as they do there.
  mkdirSync(path.dirname(CLI_BUNDLE_DIR), { recursive: true });
  bundleDir = mkdtempSync(path.join(path.dirname(CLI_BUNDLE_DIR), 'test-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  writeFileSync(path.join(dir, 'key.asc'), pair.privateKey);
  recipient = (await readJournalistKey(pair.publicKey)).key;
  await writeExportedSubmission(path.join(dir, 'export'), { designation: 'steady-heron', id: 'c'.repeat(32), name: 'f.bin', plaintext, recipient, partSize: 4096 });
  await buildCliBundle(bundleDir);
}, 60_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
});

test('each command is listed with what it can load, and runs from the bundle', async () => {
  const build = readdirSync(bundleDir).find((f) => f.startsWith('b-'))!;
  expect(freshBundle(pathToFileURL(bundleDir + path.sep), 'decrypt')?.href).toBe(pathToFileURL(path.join(realpathSync(bundleDir), build, 'cli.mjs')).href);
  const list = JSON.parse(readFileSync(path.join(bundleDir, 'current', 'inputs.json'), 'utf8')) as { files: string[]; inputs: number[]; commands: Record<string, number[]> };
  const of = (command: string) => (list.commands[command] ?? list.inputs).map((i) => path.relative(root, list.files[i]!));
  // Every command of cli.ts's switch, each with the modules its case imports and more than what
  // every command loads; serve's key workers come bundled.
  const cli = readFileSync(path.join(root, 'server/cli.ts'), 'utf8');
  const cases = cli.slice(cli.indexOf('switch (command)'), cli.indexOf('default:', cli.indexOf('switch (command)'))).split(/\bcase '/).slice(1);
  expect(cases.length).toBeGreaterThan(10);
  for (const [, command, body] of cases.map((c) => /^([\w-]+)':([\s\S]*)$/.exec(c)!)) {
    const own = [...body!.matchAll(/import\('\.\/([^']+)'\)/g)].map((m) => path.join('server', m[1]!));
    own.push(...[...body!.matchAll(/import\('\.\.\/([^']+)'\)/g)].map((m) => m[1]!));
    if (['help', '--help'].includes(command!)) continue;
    expect(own.length, command).toBeGreaterThan(0);
    expect(of(command!), command).toEqual(expect.arrayContaining(own));
    expect(of(command!).length, command).toBeGreaterThan(list.inputs.length);
  }
  // What decrypt loads makes it stale, the worker's code included; the server's other code does not.
  for (const f of ['server/cli.ts', 'server/config.ts', 'newsroom/decrypt.ts', 'newsroom/part-worker.ts', 'common/envelope/open.ts', 'newsroom/safe-copy.ts']) expect(of('decrypt')).toContain(f);
  for (const f of ['server/main.ts', 'server/store/db.ts', 'server/sources/key-worker.ts']) expect(of('decrypt')).not.toContain(f);
  for (const f of ['server/main.ts', 'server/sources/key-worker.ts', 'server/sources/key-worker-boot.js', 'server/branding/rebuild-worker.ts']) expect(of('serve')).toContain(f);
  expect(of('journalist')).toEqual(expect.arrayContaining(['server/cli/journalist.ts', 'server/cli/rotate.ts', 'server/store/db.ts']));
  expect(of('journalist')).not.toContain('newsroom/decrypt.ts');
  expect(of('help')).not.toContain('server/cli/journalist.ts');
  // A command of the server's side from the bundle, with its database.
  const listed = await runBundle(['desk', 'list', '--data', path.join(dir, 'data')]);
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toMatch(/^No desks/);
}, 60_000);

test('the bundle decrypts an export byte for byte in its worker threads, and refuses an altered part leaving nothing', async () => {
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

// A list of paths alone, as the tests' server bundle writes it (tests/helpers/server-bundle.ts).
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

test('per command: a source saved since the build makes stale only the commands that can load it', () => {
  const fake = mkdtempSync(path.join(dir, 'per-command-'));
  const [a, b] = ['a.ts', 'b.ts'].map((f) => path.join(fake, f));
  for (const f of [a!, b!]) writeFileSync(f, '');
  const stamps = [a!, b!].map((f) => stampOf(f));
  writeFileSync(path.join(fake, 'inputs.json'), JSON.stringify({ entry: 'cli.mjs', files: [a, b], stamps, inputs: [0], commands: { decrypt: [0], desk: [0, 1] } }));
  const url = pathToFileURL(fake + path.sep);
  writeFileSync(b!, 'export {};\n');
  expect(freshBundle(url, 'decrypt')?.href).toBe(new URL('cli.mjs', url).href);
  expect(freshBundle(url, 'help')?.href).toBe(new URL('cli.mjs', url).href); // no list of its own: the common one
  expect(freshBundle(url, 'desk')).toBeNull();
});

/** A build in `fake` listing `sources` with their stamps as made now (scripts/cli-bundle.ts). */
function fakeBuild(fake: string, sources: string[], entry = 'cli.mjs'): URL {
  mkdirSync(path.join(fake, 'running'), { recursive: true });
  const stamps = sources.map((f) => stampOf(f));
  writeFileSync(path.join(fake, 'inputs.json'), JSON.stringify({ entry, files: sources, stamps, inputs: sources.map((_, i) => i), commands: {} }));
  return pathToFileURL(fake + path.sep);
}

/** Waits past the file system's clock tick, so that a change now gets a change time of its own. */
const nextTick = () => new Promise((r) => setTimeout(r, 30));

test('a listed source replaced by a copy keeping its old modification time (cp -p, rsync -a, tar x) makes the bundle stale', async () => {
  const fake = mkdtempSync(path.join(dir, 'copied-'));
  const [src, other, copy] = ['src.ts', 'other.ts', 'copy.ts'].map((f) => path.join(fake, f));
  const old = new Date('2026-01-01T00:00:00Z');
  writeFileSync(src!, 'export const fixed = true;\n');
  utimesSync(src!, old, old);
  writeFileSync(other!, '');
  const url = fakeBuild(fake, [src!, other!]);
  expect(freshBundle(url, 'decrypt')?.href).toBe(new URL('cli.mjs', url).href);
  await nextTick();
  // The same size, the same inode (cp -p writes over the file), the very modification time it had:
  // only its change time tells.
  writeFileSync(copy!, 'export const fixed = fals;\n');
  utimesSync(copy!, old, old);
  execFileSync('cp', ['-p', copy!, src!]);
  expect(statSync(src!).mtimeMs).toBe(old.getTime());
  expect(freshBundle(url, 'decrypt')).toBeNull();
  // rsync -a and tar x put a new file in its place: a new inode.
  fakeBuild(fake, [src!, other!]);
  expect(freshBundle(url, 'decrypt')).not.toBeNull();
  cpSync(copy!, `${src}.tmp`, { preserveTimestamps: true });
  renameSync(`${src}.tmp`, src!);
  expect(freshBundle(url, 'decrypt')).toBeNull();
  // A source changed during the build has no stamp; a list without stamps (a build of before) is stale.
  const stamps = [stampAsRead(src!, statSync(src!).ctimeMs + 1), stampAsRead(other!, statSync(other!).ctimeMs)];
  expect(stamps[0]).toBe(stampOf(src!));
  expect(stamps[1]).toBeNull();
  writeFileSync(path.join(fake, 'inputs.json'), JSON.stringify({ entry: 'cli.mjs', files: [src, other], stamps, inputs: [0, 1], commands: {} }));
  expect(freshBundle(url, 'decrypt')).toBeNull();
  writeFileSync(path.join(fake, 'inputs.json'), JSON.stringify({ builtAt: Date.now() + 60_000, entry: 'cli.mjs', files: [src, other], inputs: [0, 1], commands: {} }));
  expect(freshBundle(url, 'decrypt')).toBeNull();
});

test('a command whose case reaches its code through anything but a literal import is stale whenever any source is', () => {
  const cli = `switch (command) {
    case 'a':
      return (await import('./cli/a.ts')).aCommand(rest);
    case 'b':
      return runB(rest);
    case 'c':
      await prepare(rest); // then its own (module)
      return (await import('./cli/c.ts')).cCommand(rest);
    case 'help':
      console.log(USAGE); // the usage (all of it)
      return;
    default:
      throw new CliError('no');
  }`;
  const modules = commandModules(cli);
  expect(modules.get('a')).toEqual([path.join(root, 'server/cli/a.ts')]);
  expect(modules.get('b')).toBeNull();
  expect(modules.get('c')).toBeNull();
  expect(modules.get('help')).toEqual([]);
  expect(() => commandModules(cli.replace('switch (command)', 'switch (name)'))).toThrow(/no `switch \(command\)`/);
});

test('the mark of a command stopped by SIGINT does not hold its build once its process id is reused', async () => {
  const builds = mkdtempSync(path.join(dir, 'builds-'));
  for (const b of ['b-1-1', 'b-2-2', 'b-3-3']) fakeBuild(path.join(builds, b), []);
  symlinkSync('b-3-3', path.join(builds, 'current'));
  const script = `import { holdBundle } from ${JSON.stringify(pathToFileURL(path.join(root, 'bin/fresh-bundle.js')).href)};
    holdBundle(new URL(${JSON.stringify(pathToFileURL(path.join(builds, 'b-1-1', 'cli.mjs')).href)})); console.log('held'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  const ended = new Promise((r) => child.once('exit', (_code, signal) => r(signal)));
  child.kill('SIGINT');
  expect(await ended).toBe('SIGINT');
  const left = path.join(builds, 'b-1-1', 'running', String(child.pid));
  expect(existsSync(left), 'SIGINT skips the exit hook').toBe(true);
  expect(holds(left)).toBe(false);
  // Its id given to another process (this one): the mark is still not its.
  const reused = path.join(builds, 'b-1-1', 'running', String(process.pid));
  renameSync(left, reused);
  expect(holds(reused)).toBe(false);
  // A live command's own mark holds b-2-2; b-1-1 goes.
  writeFileSync(path.join(builds, 'b-2-2', 'running', String(process.pid)), processStart(process.pid));
  expect(holds(path.join(builds, 'b-2-2', 'running', String(process.pid)))).toBe(true);
  await prune(builds, new Set(['b-3-3']));
  expect(readdirSync(builds).sort()).toEqual(['b-2-2', 'b-3-3', 'current']);
});

test('a command that loads code late (decrypt --safe) still finds it when the bundle is rebuilt meanwhile', async () => {
  // A text file, whose safe copy needs no sandbox; the command waits for its passphrase on a pipe.
  const text = Buffer.from('A line of text, the safe copy of which is made after decrypting.\n');
  await writeExportedSubmission(path.join(dir, 'late'), { designation: 'quiet-wren', id: 'd'.repeat(32), name: 'note.txt', plaintext: text, recipient, partSize: 4096 });
  const fifo = path.join(dir, 'passphrase.fifo');
  execFileSync('mkfifo', [fifo]);
  await buildCliBundle(); // the real one, which bin/sealdrop.js runs, as `npm run build` makes it
  const entry = freshBundle(pathToFileURL(CLI_BUNDLE_DIR + path.sep), 'decrypt');
  expect(entry, 'a source saved during the build').not.toBeNull();
  const out = path.join(dir, 'late-plain');
  const args = ['decrypt', '--key', path.join(dir, 'key.asc'), '--passphrase-file', fifo, '--in', path.join(dir, 'late'), '--out', out, '--safe'];
  const pipe = openSync(fifo, 'r+'); // the command's open returns at once; its read waits for the passphrase
  let pid = 0;
  const command = run(path.join(root, 'bin', 'sealdrop.js'), args, (p) => (pid = p));
  // Once it reads the pipe, it has loaded its first chunks: which build did it mark in use?
  const reading = () => readdirSync(`/proc/${pid}/fd`).some((fd) => { try { return readlinkSync(`/proc/${pid}/fd/${fd}`) === fifo; } catch { return false; } });
  await until(reading, 30_000, 'the command to read its passphrase');
  const marked = readdirSync(CLI_BUNDLE_DIR).find((b) => existsSync(path.join(CLI_BUNDLE_DIR, b, 'running', String(pid))));
  const inUse = marked ? path.join(CLI_BUNDLE_DIR, marked) : path.dirname(fileURLToPath(entry!));
  // Three builds meanwhile (more than the one kept before the current); it goes on when they are
  // done, or as soon as its build's files are gone.
  let built = false;
  const rebuilt = (async () => {
    for (let i = 0; i < 3; i++) await buildCliBundle();
    built = true;
  })();
  while (!built && existsSync(path.join(inUse, 'cli.mjs'))) await new Promise((r) => setTimeout(r, 10));
  writeSync(pipe, '\n');
  closeSync(pipe);
  const result = await command;
  await rebuilt;
  expect(result.code, result.stderr).toBe(0);
  const safe = path.join(out, 'quiet-wren', 'd'.repeat(32), 'safe');
  expect(readFileSync(path.join(safe, 'note.safe.txt'), 'utf8')).toBe(text.toString());
  // It ran from the bundle (a build marked in use), its mark gone with it; a later build removes
  // the build once no live process marks it (another test file's command may have started from it).
  expect(marked).toBeDefined();
  expect(existsSync(path.join(inUse, 'running', String(pid)))).toBe(false);
  const others = readdirSync(path.join(inUse, 'running')).filter((p) => holds(path.join(inUse, 'running', p)));
  await buildCliBundle();
  expect(existsSync(inUse)).toBe(others.length > 0);
}, 120_000);

test('without a bundle (a fresh clone before npm run build, a read-only install) a command runs through tsx', async () => {
  // A tree of links to this one, with node_modules' packages but not its .cache: no build to find.
  const tree = mkdtempSync(path.join(dir, 'tree-'));
  for (const d of ['server', 'common', 'newsroom', 'package.json']) symlinkSync(path.join(root, d), path.join(tree, d));
  mkdirSync(path.join(tree, 'node_modules'));
  for (const p of readdirSync(path.join(root, 'node_modules')).filter((p) => p !== '.cache')) symlinkSync(path.join(root, 'node_modules', p), path.join(tree, 'node_modules', p));
  cpSync(path.join(root, 'bin'), path.join(tree, 'bin'), { recursive: true });
  const data = path.join(dir, 'tsx-data');
  const added = await run(path.join(tree, 'bin', 'sealdrop.js'), ['desk', 'add', 'politics', '--data', data]);
  expect(added.code, added.stderr).toBe(0);
  expect(existsSync(path.join(tree, 'node_modules', '.cache'))).toBe(false);
  expect(added.stdout).toMatch(/^Added desk politics\./);
  const listed = await runBundle(['desk', 'list', '--data', data]); // the same data directory from the bundle
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout).toMatch(/politics/);
  // A build there (a stand-in that only says so) runs while its source is as listed; once the
  // source is replaced by a copy with its old modification time, the TypeScript runs again.
  const src = path.join(tree, 'src.ts');
  writeFileSync(src, 'one\n');
  const build = path.join(tree, 'node_modules/.cache/sealdrop/cli-builds/b-1-1');
  fakeBuild(build, [src]);
  writeFileSync(path.join(build, 'cli.mjs'), "console.log('from the bundle');\n");
  symlinkSync('b-1-1', path.join(build, '..', 'current'));
  expect((await run(path.join(tree, 'bin', 'sealdrop.js'), ['desk', 'list', '--data', data])).stdout).toBe('from the bundle\n');
  await nextTick();
  writeFileSync(path.join(tree, 'copy.ts'), 'two\n');
  utimesSync(path.join(tree, 'copy.ts'), statSync(src).atime, statSync(src).mtime);
  execFileSync('cp', ['-p', path.join(tree, 'copy.ts'), src]);
  const again = await run(path.join(tree, 'bin', 'sealdrop.js'), ['desk', 'list', '--data', data]);
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toMatch(/politics/);
}, 60_000);
