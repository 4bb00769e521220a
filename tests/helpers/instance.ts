import Database from 'better-sqlite3';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../server/config.ts';
import { serve, type Running, type ServeOptions } from '../../server/serve.ts';
import { openStore, type Store } from '../../server/store/index.ts';
import { generateKeyPair, readJournalistKey, type PublicKey } from '../../common/envelope/index.ts';

/** A real Sealdrop (both listeners on port 0, SQLite in a temp dir), as main.ts would start it. */
export type Instance = {
  config: Config;
  store: Store;
  running: Running;
  sourceUrl: string;
  journalistUrl: string;
  addJournalist(username: string, armoredPublicKey: string): Promise<void>;
  objectFiles(): Promise<string[]>;
  /** Every row of every table, as a seized database would show it. */
  rows(): Record<string, unknown[]>;
  stop(): Promise<void>;
};

export async function startInstance(env: Record<string, string> = {}, options: ServeOptions = {}, prepare?: (dataDir: string) => void): Promise<Instance> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-data-'));
  prepare?.(dataDir);
  const config = loadConfig({ SEALDROP_DATA: dataDir, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0', ...env });
  const store = openStore(config.dataDir);
  const running = await serve(config, store, options);
  const url = (s: Running['source']) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return {
    config,
    store,
    running,
    sourceUrl: url(running.source),
    journalistUrl: url(running.journalist),
    async addJournalist(username, armored) {
      const key = await readJournalistKey(armored);
      store.journalists.add({ username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored });
    },
    rows() {
      const db = new Database(path.join(dataDir, 'sealdrop.sqlite'), { readonly: true });
      try {
        const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
        return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()]));
      } finally {
        db.close();
      }
    },
    objectFiles: async () => (await readdir(path.join(dataDir, 'objects')).catch(() => [])).sort(),
    async stop() {
      await running.close();
      store.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An instance with one journalist (jo), its source port and jo's public key: for tests that speak raw HTTP to the source listener. */
export async function startWithJournalist(options: ServeOptions = {}): Promise<{ instance: Instance; port: number; journalist: PublicKey }> {
  const instance = await startInstance({}, options);
  const pair = await generateKeyPair({ name: 'Jo' });
  await instance.addJournalist('jo', pair.publicKey);
  return { instance, port: Number(new URL(instance.sourceUrl).port), journalist: (await readJournalistKey(pair.publicKey)).key };
}
