#!/usr/bin/env node
// The `sealdrop` command. Sealdrop runs its TypeScript directly through tsx, so there is no build to go stale.
// tsx would otherwise cache compiled code in the temp directory; Sealdrop writes nothing there.
process.env.TSX_DISABLE_CACHE ??= '1';
// Before any command creates a file: the data directory, its database journal, exports and
// decrypted files are the user's alone, whatever the umask of the shell (server/store/permissions.ts).
process.umask(0o077);
const { register } = await import('tsx/esm/api');
register();
await import('../server/cli.ts');
