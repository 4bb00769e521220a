import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { workerBuild } from './part-pool.ts';

// `sealdrop decrypt` from plain JavaScript: through tsx, Node started a loader thread and
// compiled each TypeScript file at every run, about half a second of CPU, as long as gpg takes
// for a 128 MiB export. `npm run build` writes this bundle of the CLI (one chunk per command, so
// decrypt loads only its own code); bin/sealdrop.js uses it for `decrypt` only while none of the
// files it was made from has changed since (inputs.json lists them), and runs the TypeScript
// through tsx otherwise, so a stale bundle never runs. Packages stay outside it (node_modules).

const root = fileURLToPath(new URL('..', import.meta.url));
/** Where bin/sealdrop.js looks for it: a build product, like node_modules itself never committed. */
export const CLI_BUNDLE_DIR = path.join(root, 'node_modules', '.cache', 'sealdrop', 'cli');

/** Each file keeps its own import.meta.url (part-pool.ts finds its worker's source by it). */
const ownUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => ({
      contents: (await readFile(args.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
      loader: 'ts',
    }));
  },
};

export async function buildCliBundle(): Promise<void> {
  // Taken before reading any source: a file saved during the build makes the bundle stale.
  const builtAt = Date.now();
  await rm(CLI_BUNDLE_DIR, { recursive: true, force: true });
  await mkdir(CLI_BUNDLE_DIR, { recursive: true });
  // The decrypting threads' code goes in ready-made: made at each run, it held up the start.
  const worker = await build(workerBuild());
  const result = await build({
    entryPoints: { cli: path.join(root, 'server', 'cli.ts') }, outdir: CLI_BUNDLE_DIR, outExtension: { '.js': '.mjs' },
    bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external',
    plugins: [ownUrl], metafile: true, logLevel: 'silent', define: { SEALDROP_PART_WORKER: JSON.stringify(worker.outputFiles[0]!.text) },
  });
  const inputs = [...new Set([...Object.keys(result.metafile.inputs), ...Object.keys(worker.metafile.inputs)])].map((i) => path.resolve(root, i));
  await writeFile(path.join(CLI_BUNDLE_DIR, 'inputs.json'), JSON.stringify({ builtAt, entry: 'cli.mjs', inputs }));
}
