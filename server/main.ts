import type { AddressInfo } from 'node:net';
import { loadConfig } from './config.ts';
import { serve } from './serve.ts';
import { openStore } from './store/index.ts';

// The only module with side effects: configuration, store, listeners.
const config = loadConfig();
const store = openStore(config.dataDir);
const running = await serve(config, store);
const url = (s: typeof running.source) => `http://${config.host}:${(s.address() as AddressInfo).port}/`;
console.log(`Sealdrop source interface:     ${url(running.source)}`);
console.log(`Sealdrop journalist interface: ${url(running.journalist)}`);
console.log(`Data directory: ${config.dataDir}`);
if (store.journalists.active().length === 0) {
  console.log('No journalist is set up yet, so sources see "not open yet". Add one with:');
  console.log(`  npx sealdrop journalist add --data ${config.dataDir} --username NAME --public-key KEY.asc`);
}
const stop = () => void running.close().then(() => { store.close(); process.exit(0); });
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
