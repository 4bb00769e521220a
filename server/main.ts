import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { PUBLIC_DIR } from './http/static.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { serve, type Running } from './serve.ts';
import { TorStartError } from './tor/process.ts';
import { log } from './log/index.ts';
import { DataDirLockedError, DataDirPermissionError, MigrationError, openStore, TotpKeyError, UntrustedDatabaseError, type Store } from './store/index.ts';

// The only module with side effects: configuration, store, listeners.

// Before anything is created: whatever the server, SQLite (its journal) or tor makes is the
// server user's alone, even where the store does not pass a mode of its own.
process.umask(0o077);

/** Mistakes an operator fixes by reading one line: a bad setting, a second server, an unusable key file. */
const OPERATOR_ERRORS = [ConfigError, DataDirLockedError, DataDirPermissionError, MigrationError, TotpKeyError, TorStartError, UntrustedDatabaseError];

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
const url = (s: typeof running.source, host: string) => `http://${host.includes(':') ? `[${host}]` : host}:${(s.address() as AddressInfo).port}/`;
const { onion } = running;
const journalistUrl = onion ? `http://${onion.journalist}/` : url(running.journalist, config.journalistHost);
console.log(`Sealdrop source interface:     ${url(running.source, config.host)}`);
console.log(`Sealdrop journalist interface: ${url(running.journalist, config.journalistHost)}`);
if (onion) {
  console.log(`Source onion address (give this to sources):  http://${onion.source}/`);
  console.log(`Journalist onion address (client-authorised): ${journalistUrl}`);
  void onion.tor.bootstrapped.then(() => console.log('tor: connected; the onion services are being published (about a minute on the real network).'));
}
console.log(`Data directory: ${config.dataDir}`);
if (running.setupPath) {
  console.log('No journalist is set up yet, so sources see "not open yet". Create the first administrator here');
  console.log('(a one-time link, valid until used or until the server restarts):');
  console.log(`  ${config.journalistUrl ?? journalistUrl}${running.setupPath.slice(1)}`);
  if (onion?.setupAuth) {
    console.log('Over Tor, that address opens only with this access key (Tor Browser asks for it; it is shown only here):');
    console.log(`  ${onion.setupAuth}`);
  }
  console.log(`Or from the command line: npx sealdrop journalist add --admin --data ${config.dataDir} --username NAME --public-key KEY.asc`);
}
// Once, at start: the data directory (or a file in it) was open to other users until this start.
if (store.tightened > 0) log('warn', 'data_dir_tightened', { entries: store.tightened });
log('info', 'started', { tor: onion !== null });

let stopping = false;
/**
 * SIGTERM (systemd, docker stop) or Ctrl-C: requests in flight get the configured grace to finish,
 * then are cut; the database is closed (its rollback journal is empty after every commit, so there
 * is nothing to checkpoint) and the data-directory lock released. A second signal stops at once.
 */
function stop(signal: string): void {
  if (stopping) process.exit(1);
  stopping = true;
  log('info', 'stopping', { signal, graceSeconds: config.stopGraceMs / 1000 });
  // A bound on the bound: nothing in the close may hang the stop (a listener that never closes).
  setTimeout(() => process.exit(1), config.stopGraceMs + 10_000).unref();
  void running.close().then(({ cut }) => {
    store.close();
    log('info', 'stopped', { requestsCut: cut });
    process.exit(0);
  });
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
