// A decrypting worker's entry. Node 20 loads a worker's entry before any --import hook in its
// execArgv is in place, so tsx is registered here, as bin/sealdrop.js does for the main thread.
process.env.TSX_DISABLE_CACHE ??= '1';
const { register } = await import('tsx/esm/api');
register();
await import('./part-worker.ts');
