import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { processStart, stampOf } from '../bin/fresh-bundle.js';
import { workerBuild } from '../newsroom/part-pool.ts';
import { alive, bundleForNode, ROOT, type BundledWorker } from './node-bundle.ts';

// Every `sealdrop` command from plain JavaScript: through tsx, Node started a loader thread and
// compiled each TypeScript file at every run (about 0.5 to 0.9 s of CPU a command). `npm run build`
// writes this bundle of the CLI (a chunk per command, so each loads only its own code) with
// decrypt's threads' code in it. bin/sealdrop.js runs a command from it only while every file
// that command can load is as it was at the build (inputs.json lists them per command with their
// inode, size and times; bin/fresh-bundle.js), and through tsx otherwise, so a stale bundle never
// runs.
//
// A command loads chunks late (decrypt --safe its safe-copy code after decrypting, serve for
// days), so a build never touches a build in use: each goes to a folder of its own, `current`
// (a symlink) is renamed onto it in one step, and a command runs from the folder `current`
// named when it started (bin/fresh-bundle.js resolves it and leaves a `running/<pid>` mark
// there). An older folder is removed only when it is neither current nor the one before, and
// no process that marked it still runs.

/** Where bin/sealdrop.js looks for it: a build product, like node_modules never committed. */
export const CLI_BUNDLE_DIR = path.join(ROOT, 'node_modules', '.cache', 'sealdrop', 'cli-builds');

/** Builds the bundle in a new folder under `dir`, points `dir/current` at it, prunes; returns the folder. */
export async function buildCliBundle(dir = CLI_BUNDLE_DIR): Promise<string> {
  await mkdir(dir, { recursive: true });
  const name = `b-${Date.now()}-${process.pid}`;
  const out = path.join(dir, name);
  try {
    await mkdir(out);
    // Taken before reading any source, by the file system's own clock (the one change times use,
    // a tick behind Date.now()): a file saved during the build makes the bundle stale.
    const builtAt = (await stat(out)).ctimeMs;
    await writeBundle(out, builtAt);
  } catch (error) {
    await rm(out, { recursive: true, force: true }); // no half bundle left
    throw error;
  }
  const before = await readlink(path.join(dir, 'current')).catch(() => null);
  const link = path.join(dir, `current.${process.pid}`);
  await rm(link, { force: true });
  await symlink(name, link);
  await rename(link, path.join(dir, 'current')); // atomic: a command sees the old build or the new one
  await prune(dir, new Set([name, before]));
  return out;
}

async function writeBundle(out: string, builtAt: number): Promise<void> {
  // Made at each run (part-pool.ts), decrypt's threads' code held up the start; here it is made once.
  const part = await build({ ...workerBuild(), absWorkingDir: ROOT });
  const { meta, workers } = await bundleForNode(out, { cli: path.join(ROOT, 'server', 'cli.ts') }, {
    splitting: true, define: { SEALDROP_PART_WORKER: JSON.stringify(part.outputFiles[0]!.text) },
  });
  const partInputs = Object.keys(part.metafile.inputs).map((i) => path.resolve(ROOT, i));
  workers.set('part-worker', { referrer: path.join(ROOT, 'newsroom', 'part-pool.ts'), boot: '', inputs: partInputs });
  const modules = commandModules(await readFile(path.join(ROOT, 'server', 'cli.ts'), 'utf8'));
  const files: string[] = [];
  const index = new Map<string, number>();
  const indices = (list: string[]) => [...new Set(list)].map((f) => index.get(f) ?? (index.set(f, files.push(f) - 1), files.length - 1));
  const commands: Record<string, number[]> = {};
  const everything = Object.keys(meta.inputs).map((i) => path.resolve(ROOT, i));
  for (const [command, sources] of modules) commands[command] = indices(withWorkers(sources ? commandInputs(meta, sources) : everything, workers));
  const inputs = indices(withWorkers(commandInputs(meta, []), workers));
  await mkdir(path.join(out, 'running')); // where commands mark the build in use (bin/fresh-bundle.js)
  const stamps = files.map((f) => stampAsRead(f, builtAt));
  await writeFile(path.join(out, 'inputs.json'), JSON.stringify({ builtAt, entry: 'cli.mjs', files, stamps, inputs, commands }));
}

/** A source's stamp (bin/fresh-bundle.js), or null (stale until the next build) when it changed since `builtAt`. */
export function stampAsRead(file: string, builtAt: number): string | null {
  const stamp = stampOf(file);
  return Number(stamp.split(':')[3]) < builtAt ? stamp : null;
}

/** The threads a command can start (their referrer among its sources), with their sources and boot files. */
function withWorkers(inputs: string[], workers: Map<string, BundledWorker>): string[] {
  const more = [...workers.values()].filter((w) => inputs.includes(w.referrer)).flatMap((w) => [...w.inputs, ...(w.boot ? [w.boot] : [])]);
  return [...inputs, ...more];
}

/**
 * Each command of server/cli.ts's switch and the modules its case imports (cases without a body
 * share the next one's), or null where the case calls anything else than a method of a module it
 * imports by a literal `import('…')` (or console.log): a helper could load any module, so that
 * command is stale when any source is. Commands not found here (a mistyped one) load no module.
 */
export function commandModules(text: string): Map<string, string[] | null> {
  const start = text.indexOf('switch (command)');
  const end = text.indexOf('default:', start);
  if (start < 0 || end < 0) throw new Error('server/cli.ts: no `switch (command)` with a default: to list the commands from');
  const map = new Map<string, string[] | null>();
  let pending: string[] = [];
  for (const segment of text.slice(start, end).split(/\bcase\s+/).slice(1)) {
    const [, name, rest] = /^(?:'([\w-]+)'|\w+):([\s\S]*)$/.exec(segment) ?? [];
    if (name) pending.push(name);
    if (!rest?.trim()) continue;
    const sources = [...rest.matchAll(/import\('([^']+)'\)/g)].map((m) => path.resolve(ROOT, 'server', m[1]!));
    const known = /\(await import\('[^']+'\)\)\.\w+\(|\bimport\('[^']+'\)|\bconsole\.log\(/g;
    const other = /[\w$\])]\s*\(/.test(rest.replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '').replace(known, ''));
    for (const n of pending) map.set(n, other ? null : sources);
    pending = [];
  }
  if (map.size === 0) throw new Error('server/cli.ts: no command found in its switch');
  return map;
}

/**
 * The sources of every chunk a command can load, and only those: a colleague's edit to code the
 * command never loads leaves the bundle fresh for it. From cli.mjs its static imports and the
 * settings check (server/config.ts, before every command), then the command's own modules and
 * everything they import, statically or not (decrypt --safe's safe copies too).
 */
export function commandInputs(meta: Metafile, sources: string[]): string[] {
  const entries = new Set([path.join(ROOT, 'server', 'config.ts'), ...sources]);
  const seen = new Set<string>();
  const visit = (chunk: string, all: boolean) => {
    if (seen.has(chunk)) return;
    seen.add(chunk);
    for (const i of meta.outputs[chunk]!.imports) {
      if (i.external) continue;
      const entry = meta.outputs[i.path]?.entryPoint;
      if (all || i.kind === 'import-statement' || (entry && entries.has(path.resolve(ROOT, entry)))) visit(i.path, all || i.kind !== 'import-statement');
    }
  };
  visit(Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint === 'server/cli.ts')!, false);
  return [...seen].flatMap((chunk) => Object.keys(meta.outputs[chunk]!.inputs)).map((i) => path.resolve(ROOT, i));
}

/**
 * Removes the builds no command can be using: not `keep` (the new one and the one before), no
 * live process's mark in running/, and not under way (no inputs.json yet, not retired, and a live
 * builder), and the links of builders that died before renaming theirs.
 */
export async function prune(dir: string, keep: Set<string | null>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.name === 'current' || keep.has(entry.name)) continue;
    if (/^current\.\d+$/.test(entry.name)) {
      if (!alive(Number(entry.name.slice(8)))) await rm(full, { force: true });
      continue;
    }
    const builder = /^b-\d+-(\d+)$/.exec(entry.name)?.[1];
    if (!builder || !entry.isDirectory()) continue;
    const exists = (f: string) => stat(path.join(full, f)).then(() => true, () => false);
    if (!(await exists('inputs.json')) && !(await exists('retired')) && alive(Number(builder))) continue;
    // No command starts from it once its list is gone; one that marked it before still runs.
    await writeFile(path.join(full, 'retired'), '');
    await rm(path.join(full, 'inputs.json'), { force: true });
    const marks = await readdir(path.join(full, 'running')).catch(() => []);
    if (marks.some((pid) => holds(path.join(full, 'running', pid)))) continue;
    await rm(full, { recursive: true, force: true });
  }
}

/**
 * Whether a `running/<pid>` mark (bin/fresh-bundle.js) still holds its build: its process runs,
 * and is the one that wrote it (the same start), not a later one given the id of a command that
 * ended by SIGINT or SIGKILL, which skip the exit hook that removes the mark.
 */
export function holds(mark: string): boolean {
  const pid = Number(path.basename(mark));
  if (!alive(pid)) return false;
  let start = '';
  try {
    start = readFileSync(mark, 'utf8');
  } catch {
    return false; // removed meanwhile: its process has ended
  }
  const now = processStart(pid);
  return start === '' || now === '' || start === now;
}
