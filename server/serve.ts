import type { Server } from 'node:http';
import type { Config } from './config.ts';
import { createJournalistApp } from './journalist-app.ts';
import { createSourceApp } from './source-app.ts';
import type { Store } from './store/index.ts';

export type Running = { source: Server; journalist: Server; close(): Promise<void> };

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
  const journalist = await listen(createJournalistApp({ config, store }), config.journalistPort, config.host);
  const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));
  return {
    source,
    journalist,
    async close() {
      clearInterval(timer);
      source.closeAllConnections();
      journalist.closeAllConnections();
      await Promise.all([close(source), close(journalist)]);
    },
  };
}
