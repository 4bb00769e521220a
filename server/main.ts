import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PUBLIC_DIR } from './http/static.ts';
import { loadConfig } from './config.ts';
import { serve } from './serve.ts';
import { openStore } from './store/index.ts';

// The only module with side effects: configuration, store, listeners.
if (!existsSync(path.join(PUBLIC_DIR, 'js', 'source.js'))) {
  console.error('The browser bundle is missing: run "npm run build" (npm start does it for you).');
  process.exit(1);
}
const config = loadConfig();
const store = openStore(config.dataDir);
const running = await serve(config, store);
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
