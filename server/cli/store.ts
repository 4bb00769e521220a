import path from 'node:path';
import { keyFileSetting, loadConfig } from '../config.ts';
import { openStore, type Store } from '../store/index.ts';

// Apart from args.ts so that `sealdrop decrypt`, which needs neither, loads no config and no store.

/**
 * Where the store lives: --data, else the server's own settings. The environment is read by the
 * server's loader, so a mistyped or bad SEALDROP_* variable fails here as it would at start-up.
 */
function storeLocation(data: string | undefined, env: NodeJS.ProcessEnv = process.env): { dataDir: string; keyFile: string } {
  const config = loadConfig(env);
  if (data === undefined) return { dataDir: config.dataDir, keyFile: config.keyFile };
  const dataDir = path.resolve(data);
  return { dataDir, keyFile: keyFileSetting(dataDir, env) };
}

/** Where a command's store is: its data directory and TOTP key file (storeLocation). */
export type StoreLocation = ReturnType<typeof storeLocation>;

/**
 * The store the server at this location uses (sealed with the same TOTP key file), for one command:
 * closed afterwards whatever happens, only once `act` has settled when it is asynchronous. Every
 * command opens the store through this, never by hand (a store left open holds the database).
 */
export async function withCliStore<T>(data: string | undefined, act: (store: Store, at: StoreLocation) => T | Promise<T>): Promise<T> {
  const at = storeLocation(data);
  const store = openStore(at.dataDir, { keyFile: at.keyFile });
  if (store.tightened > 0) console.error(`sealdrop: ${store.tightened} of ${at.dataDir} and the files Sealdrop keeps in it were open to other users; they are now private to you (0700/0600).`);
  try {
    return await act(store, at);
  } finally {
    store.close();
  }
}
