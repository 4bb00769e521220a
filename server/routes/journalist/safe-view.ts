import { Router, type RequestHandler } from 'express';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PUBLIC_DIR } from '../../http/static.ts';
import { tOf } from '../../i18n/middleware.ts';
import { renderSafeView } from '../../views/journalist/safe-view.ts';

// The Safe view's frame (client/safe-view/): a static page and its one script, framed by the
// conversation page in <iframe sandbox="allow-scripts">. The page's own CSP allows its script and
// style from here, images from blob:/data:, and nothing else: no connection, no worker, no frame,
// no form; it is sandboxed even if opened on its own. It needs no session and reads none: its
// document has an opaque origin and receives the file by postMessage. Its script and style are
// fetched by that opaque origin, so they carry Cross-Origin-Resource-Policy: cross-origin (they
// are public code, the same for everyone); everything else keeps same-origin.

export const SAFE_VIEW_CSP = [
  "default-src 'none'", "script-src 'self'", 'img-src blob: data:', "style-src 'self'", "connect-src 'none'", "worker-src 'none'",
  "frame-src 'none'", "form-action 'none'", "base-uri 'none'", "frame-ancestors 'self'", 'sandbox allow-scripts',
].join('; ');

/** The journalist pages may frame this listener's own pages (only /safe-view allows itself to be framed). */
export const allowSafeViewFrame: RequestHandler = (_req, res, next) => {
  const csp = res.getHeader('Content-Security-Policy');
  if (typeof csp === 'string' && !csp.includes('frame-src')) res.setHeader('Content-Security-Policy', `${csp};frame-src 'self'`);
  next();
};

const FILES: Record<string, [string, string]> = {
  '/safe-view/frame.js': [path.join(PUBLIC_DIR, 'js', 'safe-view.js'), 'text/javascript'],
  '/safe-view/frame.css': [path.join(PUBLIC_DIR, 'safe-view.css'), 'text/css'],
};

export function safeViewRoutes(): Router {
  const router = Router();
  router.get('/safe-view', (_req, res) => {
    res.setHeader('Content-Security-Policy', SAFE_VIEW_CSP);
    res.type('html').send(renderSafeView(tOf(res)));
  });
  router.get(Object.keys(FILES), async (req, res, next) => {
    const [file, type] = FILES[req.path]!;
    const body = await readFile(file).catch(() => null);
    if (!body) return next();
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    res.type(type).send(body);
  });
  return router;
}
