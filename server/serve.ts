import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import { Sessions, type SessionLimits } from './auth/sessions.ts';
import { Throttle } from './auth/throttle.ts';
import type { Config } from './config.ts';
import { DEFAULT_BODY_RATE, type BodyRateOptions } from './http/body-rate.ts';
import { ConnectionGuard, DEFAULT_CONNECTIONS, type ConnectionOptions } from './http/connections.ts';
import { createJournalistApp } from './journalist-app.ts';
import { createSourceApp } from './source-app.ts';
import { recipientsOf } from './recipients.ts';
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

type Guarding = { bodyRate: BodyRateOptions; connections: ConnectionOptions };

function listen(app: RequestListener, port: number, host: string, guarding: Guarding): Promise<Server> {
  const guard = new ConnectionGuard(guarding.connections, guarding.bodyRate);
  const idleMs = guarding.connections.idleMs;
  // A large no-JS upload over Tor can outlast any fixed total (requestTimeout 0): a body arriving
  // below the floor is what gets cut (body-rate.ts), and slow headers by the same idle limit.
  const server = createServer({ requestTimeout: 0, headersTimeout: idleMs, connectionsCheckingInterval: Math.min(5_000, idleMs) }, guard.listener(app));
  server.timeout = 2 * 60 * 1000; // a response the client stops reading
  guard.attach(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

const stopListening = (s: Server) =>
  new Promise<void>((r) => {
    s.close(() => r());
    s.closeAllConnections();
  });

/** Tunables that are not configuration: tests shorten session lifetimes and slow-body windows with them. */
export type ServeOptions = { sessionLimits?: SessionLimits; bodyRate?: Partial<BodyRateOptions>; connections?: Partial<ConnectionOptions> };

/** Starts both listeners and the hourly purge of abandoned and expired submissions. */

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
  const guarding = { bodyRate: { ...DEFAULT_BODY_RATE, ...options.bodyRate }, connections: { ...DEFAULT_CONNECTIONS, ...options.connections } };
  // One cache of usable journalist keys for both listeners: each key is checked once, not once per app.
  const recipients = recipientsOf(store);
  const source = await listen(createSourceApp({ config, store, recipients }), config.sourcePort, config.host, guarding);
  const setup = { token: store.journalists.count() === 0 ? randomBytes(24).toString('base64url') : null };
  const deps = { config, store, recipients, sessions: new Sessions(options.sessionLimits), throttle: new Throttle(), setup, usedSteps: new Map<number, number>() };
  const journalist = await listen(createJournalistApp(deps), config.journalistPort, config.host, guarding).catch(async (error: unknown) => {
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
