import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { Sessions } from './auth/sessions.ts';
import { Throttle } from './auth/throttle.ts';
import type { Config } from './config.ts';
import { createJournalistApp } from './journalist-app.ts';
import { createSourceApp } from './source-app.ts';
import type { Store } from './store/index.ts';

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
    server.requestTimeout = 10 * 60 * 1000;
  });
}

/** Starts both listeners and the hourly purge of abandoned and expired submissions. */
export async function serve(config: Config, store: Store): Promise<Running> {
  await store.submissions.sweepOrphans();
  await store.submissions.purge(config.retentionDays);
  const timer = setInterval(() => void store.submissions.purge(config.retentionDays).catch(() => console.error('error: purge failed')), HOUR);
  timer.unref();
  const source = await listen(createSourceApp({ config, store }), config.sourcePort, config.host);
  const setup = { token: store.journalists.count() === 0 ? randomBytes(24).toString('base64url') : null };
  const deps = { config, store, sessions: new Sessions(), throttle: new Throttle(), setup };
  const journalist = await listen(createJournalistApp(deps), config.journalistPort, config.host);
  const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));
  return {
    source,
    journalist,
    get setupPath() {
      return setup.token ? `/setup/${setup.token}` : null;
    },
    async close() {
      clearInterval(timer);
      source.closeAllConnections();
      journalist.closeAllConnections();
      await Promise.all([close(source), close(journalist)]);
    },
  };
}
