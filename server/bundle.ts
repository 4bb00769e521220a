// Bundles the browser code with esbuild. The envelope imports "openpgp"; browsers get the lightweight build.
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BUNDLE_DIR = path.join(root, 'client/public/js');
const outdir = BUNDLE_DIR;
// Dot-names: the static handler refuses dotfiles, so a half-written bundle is never served.
const sibling = (kind: string) => path.join(path.dirname(outdir), `.js.${kind}-${randomBytes(8).toString('hex')}`);

/** Builds into a fresh directory; the output does not depend on its name (reproducible, checkable). */
export async function bundle(dir: string): Promise<void> {
  await build({
    entryPoints: { source: path.join(root, 'client/source/main.ts'), journalist: path.join(root, 'client/journalist/main.ts') },
    outdir: dir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['firefox115', 'chrome120'],
    minify: true,
    // No source maps, no comments with paths or dates: the bundle must be byte-for-byte reproducible.
    sourcemap: false,
    legalComments: 'none',
    chunkNames: 'chunks/[name]-[hash]',
    alias: { openpgp: 'openpgp/lightweight' },
    // esbuild resolves an alias from its working directory, which defaults to the process's: a
    // `sealdrop serve` started outside the checkout (from / or a home folder) failed to find openpgp.
    absWorkingDir: root,
    logLevel: 'warning',
  });
  // The source page's sealing workers (client/source/seal-pool.ts): one classic script from this
  // origin (worker-src 'self'), WebCrypto only, without openpgp.js or the page's chunks.
  await classicScript(dir, 'seal-worker', 'client/source/seal-worker.ts', 'warning');
  // The Safe view's frame (client/safe-view/): one classic script holding pdf.js and its worker's
  // code, apart from the page bundles. Its document has an opaque origin, so it cannot load
  // modules or chunks from this origin; it gets this one file (served by routes/journalist/safe-view.ts).
  await classicScript(dir, 'safe-view', 'client/safe-view/main.ts', 'error');
}

/** One self-contained classic script (no modules, no chunks), reproducible like the page bundles. */
async function classicScript(dir: string, name: string, entry: string, logLevel: 'warning' | 'error'): Promise<void> {
  await build({
    entryPoints: { [name]: path.join(root, entry) },
    outdir: dir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['firefox115', 'chrome120'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    absWorkingDir: root,
    logLevel,
  });
}

const ignore = (...codes: string[]) => (error: NodeJS.ErrnoException) => {
  if (!codes.includes(error.code ?? '')) throw error;
};

/** Replaces outdir by fresh, so a running server finds a complete bundle before and after. */
async function swapIn(fresh: string): Promise<void> {
  const olds: string[] = [];
  try {
    // Another build running at the same time may put its own bundle in between: then try again.
    for (let attempt = 1; ; attempt++) {
      olds.push(sibling('old'));
      await rename(outdir, olds.at(-1)!).catch(ignore('ENOENT'));
      try {
        return await rename(fresh, outdir);
      } catch (error) {
        if (attempt === 3 || !['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      }
    }
  } finally {
    await Promise.all(olds.map((old) => rm(old, { recursive: true, force: true })));
  }
}

/** Builds the browser bundle and swaps it into client/public/js. */
export async function buildClient(): Promise<void> {
  const fresh = sibling('tmp');
  try {
    await bundle(fresh);
    await swapIn(fresh);
  } finally {
    await rm(fresh, { recursive: true, force: true });
  }
}

/**
 * Before the server starts: a fresh bundle, except where the application directory is read-only
 * (a hardened systemd unit, ProtectSystem=strict) and a bundle built at install time is there.
 */
export async function buildClientUnlessReadOnly(): Promise<void> {
  try {
    await buildClient();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const readOnly = ['EROFS', 'EACCES', 'EPERM'].includes(code) || /EROFS|EACCES|read-only/i.test(String((error as Error).message));
    if (!readOnly || !existsSync(path.join(outdir, 'source.js'))) throw error;
    console.log('The application directory is read-only: serving the page scripts built at install time (npm run build).');
  }
}
