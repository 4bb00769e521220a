import type { Server, ServerResponse } from 'node:http';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A listener that can stop gracefully: it knows which requests are still being answered. */
export type Draining = {
  /**
   * Takes no new connection; requests in flight get `graceMs` to finish, then their connections
   * are cut (their routes clean up as on any broken connection). Resolves with how many were cut.
   */
  stop(graceMs: number): Promise<number>;
};

export function draining(server: Server): Draining {
  const active = new Set<ServerResponse>();
  server.on('request', (_req, res: ServerResponse) => {
    active.add(res);
    res.once('close', () => active.delete(res));
  });
  return {
    async stop(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections are closed as soon as they fall idle, so none outlives its request.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = Date.now() + graceMs;
      while (active.size > 0 && Date.now() < deadline) await sleep(50);
      const cut = active.size;
      clearInterval(sweep);
      server.closeAllConnections();
      await closed;
      return cut;
    },
  };
}
