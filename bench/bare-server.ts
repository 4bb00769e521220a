// The peer every upload figure is compared with: a bare express + busboy server that streams a
// multipart upload to a file on disk and does nothing else (no encryption, no checks, no fsync).
import busboy from 'busboy';
import express from 'express';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export type BareServer = { url: string; port: number; close(): Promise<void> };

const FORM = `<!doctype html><meta charset="utf-8"><title>bare</title>
<form method="post" action="/upload" enctype="multipart/form-data"><input type="file" id="file" name="file"><textarea id="message" name="message"></textarea><button id="go">Send</button></form>`;

export async function startBareServer(): Promise<BareServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-bare-'));
  let n = 0;
  const app = express();
  app.get('/', (_req, res) => void res.type('html').send(FORM));
  app.post('/upload', (req, res) => {
    const bb = busboy({ headers: req.headers });
    const writes: Promise<void>[] = [];
    bb.on('file', (_field, stream) => void writes.push(pipeline(stream, createWriteStream(path.join(dir, `upload-${++n}`)))));
    bb.on('close', () => void Promise.all(writes).then(() => res.type('html').send('<!doctype html><title>done</title><p id="done">done</p>'), () => res.sendStatus(500)));
    bb.on('error', () => res.sendStatus(400));
    req.pipe(bb);
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
