import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { workerBuild } from './part-pool.ts';

// `sealdrop decrypt` from plain JavaScript: through tsx, Node started a loader thread and
// compiled each TypeScript file at every run, about half a second of CPU, what gpg takes for a
// 128 MiB export. `npm run build` writes this bundle of the CLI (a chunk per command, so decrypt
// loads only its own code) with the decrypting threads' code in it; bin/sealdrop.js runs it for
// `decrypt` only, and only while none of the files it was made from has changed since
// (inputs.json lists them; bin/fresh-bundle.js), and the TypeScript through tsx otherwise, so a
// stale bundle never runs. Packages stay outside it, loaded from node_modules as usual.

const root = fileURLToPath(new URL('..', import.meta.url));
/** Where bin/sealdrop.js looks for it: a build product, like node_modules never committed. */
export const CLI_BUNDLE_DIR = path.join(root, 'node_modules', '.cache', 'sealdrop', 'cli');

export async function buildCliBundle(dir = CLI_BUNDLE_DIR): Promise<void> {
  // Taken before reading any source: a file saved during the build makes the bundle stale.
  const builtAt = Date.now();
  await rm(path.join(dir, 'inputs.json'), { force: true }); // stale at once, before the chunks go
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  try {
    await writeBundle(dir, builtAt);
  } catch (error) {
    await rm(dir, { recursive: true, force: true }); // no half bundle left
    throw error;
  }
}

async function writeBundle(dir: string, builtAt: number): Promise<void> {
  // Made at each run (part-pool.ts), the threads' code held up the start; here it is made once.
  const worker = await build({ ...workerBuild(), absWorkingDir: root });
  const cli = await build({
    entryPoints: { cli: path.join(root, 'server', 'cli.ts') }, outdir: dir, outExtension: { '.js': '.mjs' },
    bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', absWorkingDir: root,
    metafile: true, logLevel: 'silent', define: { SEALDROP_PART_WORKER: JSON.stringify(worker.outputFiles[0]!.text) },
  });
  // part-pool.ts's import.meta.url is its chunk's in the bundle: unused there, the worker is inside.
  const inputs = new Set([...decryptInputs(cli.metafile), ...Object.keys(worker.metafile.inputs)].map((i) => path.resolve(root, i)));
  await writeFile(path.join(dir, 'inputs.json'), JSON.stringify({ builtAt, entry: 'cli.mjs', inputs: [...inputs] }));
}

/** What cli.ts loads before its command (the settings check), and the decrypt command itself. */
const DECRYPT_PATH = new Set(['server/config.ts', 'newsroom/decrypt.ts']);

/**
 * The sources of every chunk `sealdrop decrypt` can load, and only those: a colleague's edit to
 * the server's code leaves the bundle fresh for decrypt. From cli.mjs its static imports and the
 * dynamic imports of DECRYPT_PATH, from those everything they import (--safe's safe copies too).
 */
function decryptInputs(meta: Metafile): string[] {
  const seen = new Set<string>();
  const visit = (chunk: string, all: boolean) => {
    if (seen.has(chunk)) return;
    seen.add(chunk);
    for (const i of meta.outputs[chunk]!.imports) {
      if (i.external) continue;
      if (all || i.kind === 'import-statement' || DECRYPT_PATH.has(meta.outputs[i.path]?.entryPoint ?? '')) visit(i.path, all || i.kind !== 'import-statement');
    }
  };
  visit(Object.keys(meta.outputs).find((o) => meta.outputs[o]!.entryPoint === 'server/cli.ts')!, false);
  return [...seen].flatMap((chunk) => Object.keys(meta.outputs[chunk]!.inputs));
}
