import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { inject } from 'vitest';
import { freshBundle } from '../../bin/fresh-bundle.js';

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

const root = fileURLToPath(new URL('../..', import.meta.url));
/** A build product, like node_modules never committed; packages resolve from node_modules above it. */
const BUNDLES = path.join(root, 'node_modules', '.cache', 'sealdrop', 'test-server');

/** A worker's boot file as both are (key-worker-boot.js): it only registers tsx and imports its worker. */
const BOOT = /new URL\('\.\/([\w-]+)-boot\.js', import\.meta\.url\)/g;
const bootsOnlyThrough = (text: string, stem: string) =>
  text.replace(/^\/\/.*\n/gm, '') === `process.env.TSX_DISABLE_CACHE ??= '1';\nconst { register } = await import('tsx/esm/api');\nregister();\nawait import('./${stem}.ts');\n`;

/**
 * Each module's `import.meta.url` stays its source file's: the public directory and the catalogs
 * are found where they are, not next to the bundle. A worker started from a boot file that only
 * registers tsx starts from its own bundle in `dir` instead (its path noted in `workers`).
 */
function sourceUrls(dir: string, workers: Map<string, string>): Plugin {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        let text = await readFile(args.path, 'utf8');
        for (const [call, stem] of [...text.matchAll(BOOT)].map((m) => [m[0], m[1]!] as const)) {
          const boot = await readFile(path.join(path.dirname(args.path), `${stem}-boot.js`), 'utf8');
          if (!bootsOnlyThrough(boot, stem)) continue;
          workers.set(stem, path.join(path.dirname(args.path), `${stem}.ts`));
          text = text.replace(call, `new URL(${JSON.stringify(pathToFileURL(path.join(dir, `${stem}.mjs`)).href)})`);
        }
        const loader = /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js';
        return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader };
      });
    },
  };
}

/**
 * One directory per test run (several runs share a working tree, each with its own bundle);
 * those of runs no longer alive are removed. Returns the directory.
 */
export async function buildServerBundle(): Promise<string> {
  await mkdir(BUNDLES, { recursive: true });
  for (const name of await readdir(BUNDLES)) if (!alive(Number(name.split('-')[0]))) await rm(path.join(BUNDLES, name), { recursive: true, force: true });
  const dir = path.join(BUNDLES, `${process.pid}-${Date.now()}`);
  // Taken before reading any source: a file saved during the build makes the bundle stale.
  const builtAt = Date.now();
  const workers = new Map<string, string>();
  const bundle = (entryPoints: Record<string, string>) => build({
    entryPoints, outdir: dir, outExtension: { '.js': '.mjs' }, bundle: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', absWorkingDir: root, metafile: true, logLevel: 'silent', plugins: [sourceUrls(dir, workers)],
  });
  const main = await bundle({ main: path.join(root, 'server', 'main.ts') });
  const threads = workers.size > 0 ? await bundle(Object.fromEntries(workers)) : null;
  const boots = [...workers.values()].map((w) => w.replace(/\.ts$/, '-boot.js'));
  const inputs = [...Object.keys(main.metafile.inputs), ...Object.keys(threads?.metafile.inputs ?? {})].map((i) => path.resolve(root, i));
  await writeFile(path.join(dir, 'inputs.json'), JSON.stringify({ builtAt, entry: 'main.mjs', inputs: [...new Set([...inputs, ...boots])] }));
  return dir;
}

function alive(pid: number): boolean {
  try {
    return pid > 0 && (process.kill(pid, 0), true);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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

function runBundle(): string | null {
  try {
    return inject('serverBundleDir') ?? null;
  } catch {
    return null; // not in a vitest worker
  }
}
