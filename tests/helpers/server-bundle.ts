import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inject } from 'vitest';
import { freshBundle } from '../../bin/fresh-bundle.js';
import { alive, bundleForNode, ROOT } from '../../scripts/node-bundle.ts';

// The tests start the real server as a child process about a hundred times a run (the crash test
// alone 52 times). Through tsx each start compiled every server file again, about 1.4 s of CPU
// (0.45 s from the bundle); the global setup bundles server/main.ts once per run instead, and the helpers spawn
// `node main.mjs`. Only while every file it was made from is unchanged since (bin/fresh-bundle.js,
// as for the CLI's bundle): otherwise, or without one, they start the TypeScript through tsx.

declare module 'vitest' {
  export interface ProvidedContext {
    /** This run's server bundle directory (global-setup.ts). */
    serverBundleDir: string;
  }
}

/** A build product, like node_modules never committed; packages resolve from node_modules above it. */
const BUNDLES = path.join(ROOT, 'node_modules', '.cache', 'sealdrop', 'test-server');

/**
 * One directory per test run (several runs share a working tree, each with its own bundle);
 * those of runs no longer alive are removed. Returns the directory. Its key and logo workers are
 * bundled beside it (scripts/node-bundle.ts), as the CLI's are.
 */
export async function buildServerBundle(): Promise<string> {
  await mkdir(BUNDLES, { recursive: true });
  for (const name of await readdir(BUNDLES)) if (!alive(Number(name.split('-')[0]))) await rm(path.join(BUNDLES, name), { recursive: true, force: true });
  const dir = path.join(BUNDLES, `${process.pid}-${Date.now()}`);
  // Taken before reading any source: a file saved during the build makes the bundle stale.
  const builtAt = Date.now();
  const { meta, workers } = await bundleForNode(dir, { main: path.join(ROOT, 'server', 'main.ts') });
  const threads = [...workers.values()].flatMap((w) => [...w.inputs, w.boot]);
  const inputs = [...Object.keys(meta.inputs).map((i) => path.resolve(ROOT, i)), ...threads];
  await writeFile(path.join(dir, 'inputs.json'), JSON.stringify({ builtAt, entry: 'main.mjs', inputs: [...new Set(inputs)] }));
  return dir;
}

/**
 * Node's arguments for `npm start`'s server: this run's bundle when it is current, server/main.ts
 * through tsx otherwise, outside vitest (bench/load.ts) and with TEST_SERVER_TSX=1 (to compare).
 */
export function serverArgs(): string[] {
  const dir = process.env.TEST_SERVER_TSX === '1' ? null : runBundle();
  const bundle = dir ? freshBundle(pathToFileURL(`${dir}/`)) : null;
  return bundle ? [fileURLToPath(bundle)] : ['--import', 'tsx', 'server/main.ts'];
}

const children = new Map<string, Promise<string[]>>();

/**
 * Node's arguments for a test's own child script (a process the test kills again and again):
 * bundled once per test file into this run's bundle directory, so each start skips tsx's loader
 * thread and compiling (about 0.6 s of CPU); through tsx outside vitest. `script` is relative to
 * the repository, as the tests spawn it.
 */
export function childArgs(script: string): Promise<string[]> {
  const dir = process.env.TEST_SERVER_TSX === '1' ? null : runBundle();
  if (!dir) return Promise.resolve(['--import', 'tsx', script]);
  let made = children.get(script);
  if (!made) {
    made = (async () => {
      const out = await mkdtemp(path.join(dir, 'child-'));
      await bundleForNode(out, { child: path.resolve(ROOT, script) });
      return [path.join(out, 'child.mjs')];
    })();
    children.set(script, made);
  }
  return made;
}

function runBundle(): string | null {
  try {
    return inject('serverBundleDir') ?? null;
  } catch {
    return null; // not in a vitest worker
  }
}
