import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

// Sealdrop's TypeScript bundled for Node, as plain JavaScript that starts without tsx: the CLI's
// bundle (scripts/cli-bundle.ts) and the tests' server bundle (tests/helpers/server-bundle.ts).
// Packages stay outside, loaded from node_modules as usual.

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A worker's boot file as both are (key-worker-boot.js): it only registers tsx and imports its worker. */
const BOOT = /new URL\('\.\/([\w-]+)-boot\.js', import\.meta\.url\)/g;
const bootsOnlyThrough = (text: string, stem: string) =>
  text.replace(/^\/\/.*\n/gm, '') === `process.env.TSX_DISABLE_CACHE ??= '1';\nconst { register } = await import('tsx/esm/api');\nregister();\nawait import('./${stem}.ts');\n`;

/** A worker started from a boot file, bundled on its own: which source starts it, what it is made of. */
export type BundledWorker = { referrer: string; boot: string; inputs: string[] };

/**
 * Each module's `import.meta.url` stays its source file's: the public directory and the catalogs
 * are found where they are, not next to the bundle. A worker started from a boot file that only
 * registers tsx starts from its own bundle in `dir` instead (noted in `workers` by its stem).
 */
function sourceUrls(dir: string, workers: Map<string, { source: string; referrer: string }>): Plugin {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        let text = await readFile(args.path, 'utf8');
        for (const [call, stem] of [...text.matchAll(BOOT)].map((m) => [m[0], m[1]!] as const)) {
          const boot = await readFile(path.join(path.dirname(args.path), `${stem}-boot.js`), 'utf8');
          if (!bootsOnlyThrough(boot, stem)) continue;
          workers.set(stem, { source: path.join(path.dirname(args.path), `${stem}.ts`), referrer: args.path });
          text = text.replace(call, `new URL(${JSON.stringify(pathToFileURL(path.join(dir, `${stem}.mjs`)).href)})`);
        }
        const loader = /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js';
        return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader };
      });
    },
  };
}

/**
 * Bundles `entryPoints` (name: source) into `dir` as ESM for Node, and each boot-started worker
 * they reach into `dir/<stem>.mjs`. Returns the main build's metafile and the workers.
 */
export async function bundleForNode(dir: string, entryPoints: Record<string, string>, extra: BuildOptions = {}): Promise<{ meta: Metafile; workers: Map<string, BundledWorker> }> {
  const found = new Map<string, { source: string; referrer: string }>();
  const bundle = (entries: Record<string, string>, more: BuildOptions) => build({
    entryPoints: entries, outdir: dir, outExtension: { '.js': '.mjs' }, bundle: true, format: 'esm', platform: 'node', target: 'node20',
    packages: 'external', absWorkingDir: ROOT, metafile: true, logLevel: 'silent', plugins: [sourceUrls(dir, found)], ...more,
  });
  const main = await bundle(entryPoints, extra);
  const workers = new Map<string, BundledWorker>();
  if (found.size === 0) return { meta: main.metafile!, workers };
  const threads = await bundle(Object.fromEntries([...found].map(([stem, w]) => [stem, w.source])), {});
  for (const [stem, w] of found) {
    const output = Object.values(threads.metafile!.outputs).find((o) => o.entryPoint && path.resolve(ROOT, o.entryPoint) === w.source)!;
    const inputs = Object.keys(output.inputs).map((i) => path.resolve(ROOT, i));
    workers.set(stem, { referrer: w.referrer, boot: w.source.replace(/\.ts$/, '-boot.js'), inputs });
  }
  return { meta: main.metafile!, workers };
}

/** Whether a process with this id exists (one of another user's counts). */
export function alive(pid: number): boolean {
  try {
    return pid > 0 && (process.kill(pid, 0), true);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
