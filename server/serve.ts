import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Sessions, type SessionLimits } from './auth/sessions.ts';
import { Throttle } from './auth/throttle.ts';
import type { Config } from './config.ts';
import { createJournalistApp } from './journalist-app.ts';
import { createSourceApp } from './source-app.ts';
import type { Store } from './store/index.ts';
import { lockDataDir } from './store/lock.ts';

export type Running = {
  source: Server;
  journalist: Server;
  /** The one-time first-run setup path (/setup/<token>), or null once a journalist exists. */
  setupPath: string | null;
  close(): Promise<void>;
};

const HOUR = 60 * 60 * 1000;

function listen(app: ReturnType<typeof createSourceApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(server)));
    // A large no-JS upload over Tor can outlast any fixed total; a stalled connection is what gets cut.
    server.requestTimeout = 0;
    server.timeout = 2 * 60 * 1000;
    server.maxConnections = 512;
  });
}

const stopListening = (s: Server) =>
  new Promise<void>((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });

/** Starts both listeners and the hourly purge of abandoned and expired submissions. */
/** Tunables that are not configuration: tests shorten session lifetimes with them. */
export type ServeOptions = { sessionLimits?: SessionLimits };

export async function serve(config: Config, store: Store, options: ServeOptions = {}): Promise<Running> {
  // Before the sweep: a second server would otherwise delete the first one's in-flight uploads.
  const unlock = lockDataDir(config.dataDir);
  try {
    return await start(config, store, unlock, options);
  } catch (error) {
    unlock();
    throw error;
  }
}

async function start(config: Config, store: Store, unlock: () => void, options: ServeOptions): Promise<Running> {
  await store.submissions.sweepOrphans();
  await store.submissions.purge(config.retentionDays);
  const source = await listen(createSourceApp({ config, store }), config.sourcePort, config.host);
  const setup = { token: store.journalists.count() === 0 ? randomBytes(24).toString('base64url') : null };
  const deps = { config, store, sessions: new Sessions(options.sessionLimits), throttle: new Throttle(), setup, usedSteps: new Map<number, number>() };
  const journalist = await listen(createJournalistApp(deps), config.journalistPort, config.host).catch(async (error: unknown) => {
    await stopListening(source);
    throw error;
  });
  const timer = setInterval(() => void store.submissions.purge(config.retentionDays).catch(() => console.error('error: purge failed')), HOUR);
  timer.unref();
  return {
    source,
    journalist,
    get setupPath() {
      return setup.token ? `/setup/${setup.token}` : null;
    },
    async close() {
      clearInterval(timer);
      await Promise.all([stopListening(source), stopListening(journalist)]);
      unlock();
    },
  };
}
