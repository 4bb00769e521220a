#!/usr/bin/env node
// The `sealdrop` command. Sealdrop's code is TypeScript: a command starts from the bundle
// `npm run build` made (scripts/cli-bundle.ts) when it is provably current (below), and runs the
// TypeScript itself through tsx otherwise, so there is no build to go stale.
import { freshBundle, holdBundle } from './fresh-bundle.js';
// tsx would otherwise cache compiled code in the temp directory; Sealdrop writes nothing there.
process.env.TSX_DISABLE_CACHE ??= '1';
// Before any command creates a file: the data directory, its database journal, exports and
// decrypted files are the user's alone, whatever the umask of the shell (server/store/permissions.ts).
process.umask(0o077);

// From the bundle, only while none of the files this command can load has changed since it was
// made: about half a second of CPU sooner than through tsx, which compiles every file at each run.
const bundle = freshBundle(new URL('../node_modules/.cache/sealdrop/cli-builds/', import.meta.url), process.argv[2]);
if (bundle && holdBundle(bundle)) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../server/cli.ts');
}
