import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderMessagePage } from '../views/message.ts';
import { codeForStatus } from './errors.ts';
import { requestLanguage } from '../i18n/middleware.ts';
import { translator, type Translator } from '../i18n/index.ts';
import { inEveryLanguage, padBody } from './padding.ts';

const FALLBACK_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin', // as security.ts: no Referer to other sites, a real Origin to this one
};

// Long enough for a short answer to leave; short enough that a cut holder frees its socket at once.
const LINGER_MS = 1_000;

/**
 * Answers with a clear error if nothing was answered yet, then closes the connection. The request
 * is destroyed too: once a response has finished, Node no longer tells a request whose socket
 * closes that it was aborted, and a route still reading its body would wait forever, holding it.
 */
export function answerAndClose(req: IncomingMessage, res: ServerResponse, status: number, key: string): void {
  const abort = () => {
    req.destroy();
    req.socket.destroy();
  };
  setTimeout(abort, LINGER_MS).unref(); // a client that reads nothing never lets the answer finish
  if (res.headersSent || res.writableEnded) return abort();
  // Express rewrites req.url inside mounted routers; originalUrl is what the client asked for.
  const json = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').startsWith('/api/');
  // Security headers the app would have set, for an answer given before it ran (a connection past the cap).
  for (const [name, value] of Object.entries(FALLBACK_HEADERS)) if (!res.hasHeader(name)) res.setHeader(name, value);
  const render = (t: Translator) => {
    const message = t.text(key);
    return json ? JSON.stringify({ error: message, code: codeForStatus(status) }) : renderMessagePage({ t, title: t.text(status >= 500 ? 'error.title.busy' : 'error.title.refused'), message });
  };
  // The app's choice where it ran (it may have come from ?lang=); before it, the request's own headers.
  const t = (res as { locals?: { t?: Translator } }).locals?.t ?? translator(requestLanguage(req));
  const { own, longest } = inEveryLanguage(t, render);
  res.statusCode = status;
  res.setHeader('Content-Type', json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8');
  res.setHeader('Connection', 'close');
  // As long in every language, like every other answer on the source listener (padding.ts).
  const body = padBody(res, own, longest);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.once('finish', abort); // the answer is with the kernel by then
  res.end(body);
}
