import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sessions, type SessionLimits } from './auth/sessions.ts';
import { Throttle } from './auth/throttle.ts';
import { isLoopback, type Config } from './config.ts';
import { DEFAULT_BODY_RATE, type BodyRateOptions } from './http/body-rate.ts';
import { ConnectionGuard, DEFAULT_CONNECTIONS, type ConnectionOptions } from './http/connections.ts';
import { draining, type Draining } from './http/drain.ts';
import { log, logTor } from './log/index.ts';
import { purgeNow } from './retention.ts';
import { startNotices, type NoticeOptions } from './notify/index.ts';
import { createJournalistApp } from './journalist-app.ts';
import { createSourceApp } from './source-app.ts';
import { recipientsOf } from './recipients.ts';
import type { Store } from './store/index.ts';
import { lockDataDir } from './store/lock.ts';
import { OnionAccess } from './tor/access.ts';
import { startTor, type RunningTor } from './tor/process.ts';
import { addressOf, ensureService } from './tor/services.ts';

export type Running = {
  source: Server;
  journalist: Server;
  /** The one-time first-run setup path (/setup/<token>), or null once a journalist exists. */
  setupPath: string | null;
  /** With SEALDROP_TOR=1: both onion addresses, and the setup link's Tor Browser key while it is unused. */
  onion: { source: string; journalist: string; setupAuth: string | null; tor: RunningTor } | null;
  /** Stops both listeners, giving requests in flight up to `graceMs` (default: the configured grace); resolves with how many were cut. */
  close(graceMs?: number): Promise<{ cut: number }>;
};

const HOUR = 60 * 60 * 1000;

type Guarding = { bodyRate: BodyRateOptions; connections: ConnectionOptions };

function listen(app: RequestListener, port: number, host: string, guarding: Guarding): Promise<Server & { drain: Draining }> {
  const guard = new ConnectionGuard(guarding.connections, guarding.bodyRate);
  const idleMs = guarding.connections.idleMs;
  // A large no-JS upload over Tor can outlast any fixed total (requestTimeout 0): a body arriving
  // below the floor is what gets cut (body-rate.ts), and slow headers by the same idle limit.
  const server = createServer({ requestTimeout: 0, headersTimeout: idleMs, connectionsCheckingInterval: Math.min(5_000, idleMs) }, guard.listener(app));
  server.timeout = 2 * 60 * 1000; // a response the client stops reading
  guard.attach(server);
  const drained = Object.assign(server, { drain: draining(server) });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(drained);
    });
  });
}

const stopListening = (s: Server & { drain: Draining }, graceMs = 0) => s.drain.stop(graceMs);

/** Tunables that are not configuration: tests shorten session lifetimes, slow-body windows and the purge interval with them. */
export type ServeOptions = { sessionLimits?: SessionLimits; sessionClock?: () => number; bodyRate?: Partial<BodyRateOptions>; connections?: Partial<ConnectionOptions>; purgeEveryMs?: number; notices?: NoticeOptions };

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
  const dropped = await store.submissions.dropCutUploads();
  if (dropped) log('info', 'cut_uploads_dropped', { objects: dropped });
  const swept = await store.submissions.sweepOrphans();
  if (swept) log('info', 'orphans_swept', { objects: swept });
  await purgeNow(config, store);
  store.changes.dropStale(); // changes naming what is gone, which nobody could confirm (audited, counted)
  const guarding = { bodyRate: { ...DEFAULT_BODY_RATE, ...options.bodyRate }, connections: { ...DEFAULT_CONNECTIONS, ...options.connections } };
  // One cache of usable journalist keys for both listeners: each key is checked once, not once per app.
  const recipients = recipientsOf(store);
  if (config.tor) for (const service of ['source', 'journalist'] as const) ensureService(config.dataDir, service);
  const onionAccess = new OnionAccess(config.dataDir, store);
  onionAccess.sync(); // the CLI may have changed journalists while the server was stopped
  const sourceOnion = addressOf(config.dataDir, 'source');
  // Before the source listener, so no arrival is missed; the address it names is known once both listen.
  const login = { url: '' };
  const notices = startNotices(config, store, () => login.url, options.notices);
  const source = await listen(createSourceApp({ config, store, recipients, sourceOnion, arrived: notices.arrived }), config.sourcePort, config.host, guarding).catch((error: unknown) => {
    notices.stop();
    throw error;
  });
  const setup = { token: store.journalists.count() === 0 ? randomBytes(24).toString('base64url') : null };
  const setupAuth = setup.token ? onionAccess.issueForSetup() : null;
  const deps = { config, store, recipients, sessions: new Sessions(options.sessionLimits, options.sessionClock), throttle: new Throttle(), setup, usedSteps: new Map<number, number>(), onionAccess, sourceOnion, sourceUrl: listenerUrl(config.host, source) };
  const journalist = await listen(createJournalistApp(deps), config.journalistPort, config.journalistHost, guarding).catch(async (error: unknown) => {
    notices.stop();
    await stopListening(source);
    throw error;
  });
  const onion = config.tor ? await publish(config, source, journalist, setupAuth).catch(async (error: unknown) => {
    notices.stop();
    await Promise.all([stopListening(source), stopListening(journalist)]);
    throw error;
  }) : null;
  login.url = config.journalistUrl ?? (onion ? `http://${onion.journalist}/` : listenerUrl(config.journalistHost, journalist));
  // Hourly, so the daily cut-off is never missed by more than an hour.
  const timer = setInterval(() => void purgeNow(config, store).catch((error: Error) => log('error', 'purge_failed', { error: error.name })), options.purgeEveryMs ?? HOUR);
  timer.unref();
  return {
    source,
    journalist,
    get setupPath() {
      return setup.token ? `/setup/${setup.token}` : null;
    },
    onion,
    async close(graceMs = config.stopGraceMs) {
      clearInterval(timer);
      await onion?.tor.stop(); // first, so no new circuit reaches a listener that is closing
      const cut = await Promise.all([stopListening(source, graceMs), stopListening(journalist, graceMs)]);
      // After the grace: an upload finishing in it still marks its window. A notice still owed is kept as the flag.
      notices.stop();
      unlock();
      return { cut: cut[0] + cut[1] };
    },
  };
}

/** A listener's own address, as a browser on this machine or network would type it. */
const listenerUrl = (host: string, s: Server) => `http://${host.includes(':') ? `[${host}]` : host}:${(s.address() as AddressInfo).port}/`;

// A listener on every address (a clearnet mirror) is reached by tor over loopback.
const target = (host: string, s: Server) => `${!isLoopback(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${(s.address() as AddressInfo).port}`;

/** Starts tor for both listeners (their real ports: a test may ask for port 0). */
async function publish(config: Config, source: Server, journalist: Server, setupAuth: string | null): Promise<NonNullable<Running['onion']>> {
  const tor = await startTor({
    dataDir: config.dataDir,
    targets: { sourceTarget: target(config.host, source), journalistTarget: target(config.journalistHost, journalist) },
    ...(config.torrcInclude ? { include: config.torrcInclude } : {}),
    log: (line) => /\[(warn|err)\]/.test(line) && !/running Tor as root/.test(line) && logTor(line),
  });
  return { source: addressOf(config.dataDir, 'source')!, journalist: addressOf(config.dataDir, 'journalist')!, setupAuth, tor };
}
