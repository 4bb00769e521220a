import path from 'node:path';
import { keyFileSetting, loadConfig } from '../config.ts';
import { openStore, type Store } from '../store/index.ts';

// Apart from args.ts so that `sealdrop decrypt`, which needs neither, loads no config and no store.

/**
 * Where the store lives: --data, else the server's own settings. The environment is read by the
 * server's loader, so a mistyped or bad SEALDROP_* variable fails here as it would at start-up.
 */
export function storeLocation(data: string | undefined, env: NodeJS.ProcessEnv = process.env): { dataDir: string; keyFile: string } {
  const config = loadConfig(env);
  if (data === undefined) return { dataDir: config.dataDir, keyFile: config.keyFile };
  const dataDir = path.resolve(data);
  return { dataDir, keyFile: keyFileSetting(dataDir, env) };
}

/** The store the server at this location uses, sealed with the same TOTP key file. */
export function openCliStore(data: string | undefined): Store {
  const { dataDir, keyFile } = storeLocation(data);
  const store = openStore(dataDir, { keyFile });
  if (store.tightened > 0) console.error(`sealdrop: ${store.tightened} of ${dataDir} and the files Sealdrop keeps in it were open to other users; they are now private to you (0700/0600).`);
  return store;
}

/** The store for one command, closed afterwards whatever happens (also when `act` is asynchronous). */
export async function withCliStore<T>(data: string | undefined, act: (store: Store) => T | Promise<T>): Promise<T> {
  const store = openCliStore(data);
  try {
    return await act(store);
  } finally {
    store.close();
  }
}
