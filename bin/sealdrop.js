#!/usr/bin/env node
// The `sealdrop` command. Sealdrop runs its TypeScript directly through tsx, so there is no build to go
// stale; only `decrypt` may start from a bundle, and only one that is provably current (below).
import { freshBundle } from './fresh-bundle.js';
// tsx would otherwise cache compiled code in the temp directory; Sealdrop writes nothing there.
process.env.TSX_DISABLE_CACHE ??= '1';
// Before any command creates a file: the data directory, its database journal, exports and
// decrypted files are the user's alone, whatever the umask of the shell (server/store/permissions.ts).
process.umask(0o077);

// `sealdrop decrypt` starts from the bundle `npm run build` made (newsroom/cli-bundle.ts), about a
// quarter of a second of CPU sooner than through tsx (`--help`: 0.07 s against 0.32 s), but only while every file it was made from is unchanged
// since: otherwise, or without one, the TypeScript itself runs.
const bundle = process.argv[2] === 'decrypt' ? freshBundle(new URL('../node_modules/.cache/sealdrop/cli/', import.meta.url)) : null;
if (bundle) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../server/cli.ts');
}
