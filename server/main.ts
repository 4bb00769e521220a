import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PUBLIC_DIR } from './http/static.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { serve, type Running } from './serve.ts';
import { DataDirLockedError, openStore, TotpKeyError, type Store } from './store/index.ts';

// The only module with side effects: configuration, store, listeners.

/** Mistakes an operator fixes by reading one line: a bad setting, a second server, an unusable key file. */
const OPERATOR_ERRORS = [ConfigError, DataDirLockedError, TotpKeyError];

function fail(message: string): never {
  console.error(`sealdrop: ${message}`);
  process.exit(1);
}

async function start(): Promise<{ running: Running; store: Store; config: Config }> {
  const config = loadConfig();
  if (!existsSync(path.join(PUBLIC_DIR, 'js', 'source.js'))) fail('The browser bundle is missing: run "npm run build" (npm start does it for you).');
  const store = openStore(config.dataDir, { keyFile: config.keyFile });
  try {
    return { running: await serve(config, store), store, config };
  } catch (error) {
    store.close();
    throw error;
  }
}

const { running, store, config } = await start().catch((error: unknown) => {
  // Anything else is a bug, and its stack trace is what the report needs.
  if (OPERATOR_ERRORS.some((type) => error instanceof type)) fail((error as Error).message);
  throw error;
});
const url = (s: typeof running.source) => `http://${config.host}:${(s.address() as AddressInfo).port}/`;
console.log(`Sealdrop source interface:     ${url(running.source)}`);
console.log(`Sealdrop journalist interface: ${url(running.journalist)}`);
console.log(`Data directory: ${config.dataDir}`);
if (running.setupPath) {
  console.log('No journalist is set up yet, so sources see "not open yet". Create the first administrator here');
  console.log('(a one-time link, valid until used or until the server restarts):');
  console.log(`  ${url(running.journalist)}${running.setupPath.slice(1)}`);
  console.log(`Or from the command line: npx sealdrop journalist add --admin --data ${config.dataDir} --username NAME --public-key KEY.asc`);
}
const stop = () => void running.close().then(() => { store.close(); process.exit(0); });
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
