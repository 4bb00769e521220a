// Bundles the browser code with esbuild. The envelope imports "openpgp"; browsers get the lightweight build.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'client/public/js');

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { source: path.join(root, 'client/source/main.ts'), journalist: path.join(root, 'client/journalist/main.ts') },
  outdir,
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
  logLevel: 'warning',
});
