import busboy from 'busboy';
import { Router, type Request } from 'express';
import { HttpError } from '../http/errors.ts';
import { locals, requireAdmin, requireJournalist } from '../http/session.ts';
import type { Store } from '../store/index.ts';
import { ImageError } from './image.ts';
import { LogoBusyError, rebuildLogo } from './rebuild.ts';
import { logoChanged, logoServable } from './stored.ts';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGES } from '../../common/i18n/languages.ts';
import { notice } from '../http/notice.ts';
import { said } from '../i18n/said.ts';

/** Where every save here returns: the admin area's branding section, with a notice of what was saved. */
const BACK = '/admin/branding';

export const MAX_LOGO_BYTES = 256 * 1024;
export const BRANDING_LIMITS = { name: 80, welcome: 2000, guidelines: 4000, tabTitle: 40 } as const;

/** Plain text as typed: control characters other than line breaks go, line breaks are normalised, length is capped. */
export function plainText(value: unknown, field: keyof typeof BRANDING_LIMITS): string {
  if (typeof value !== 'string') throw new HttpError(400, said('error.fieldMissing', { field }));
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '').trim();
  if (text.length > BRANDING_LIMITS[field]) throw new HttpError(400, said('error.textField', { field, max: BRANDING_LIMITS[field] }));
  return text;
}

/** The one file of a multipart logo upload, refused past MAX_LOGO_BYTES (busboy never spools to disk): what the decoder is given is bounded. */
function readLogo(req: Request): Promise<Buffer> {
  if (!req.is('multipart/form-data')) throw new HttpError(415, said('staff.error.logoForm'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let file = false;
    const bb = busboy({ headers: req.headers, limits: { files: 1, fileSize: MAX_LOGO_BYTES, fields: 1, parts: 2 } });
    bb.on('file', (_name, stream) => {
      file = true;
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => reject(new HttpError(413, said('staff.error.logoSize', { kib: MAX_LOGO_BYTES / 1024 }))));
    });
    bb.on('close', () => (file ? resolve(Buffer.concat(chunks)) : reject(new HttpError(400, said('staff.error.logoMissing')))));
    bb.on('error', () => reject(new HttpError(400, said('error.malformedUpload'))));
    req.pipe(bb);
  });
}

/** Administrators set the newsroom's name, welcome, guidelines and logo; sources see them. */
export function brandingAdminRoutes(store: Store): Router {
  const router = Router();
  router.use('/admin/branding', requireJournalist, requireAdmin);
  router.post('/admin/branding', (req, res) => {
    const body = req.body as Record<string, unknown>;
    // Without a language: the default texts, which every language without its own shows.
    const lang = body.lang ?? DEFAULT_LANGUAGE;
    if (!isLanguage(lang)) throw new HttpError(400, said('staff.error.lang'));
    // The tab title is optional (a form from before it existed leaves none).
    const tabTitle = body.tabTitle === undefined ? '' : plainText(body.tabTitle, 'tabTitle');
    store.settings.setBranding({ name: plainText(body.name, 'name'), welcome: plainText(body.welcome, 'welcome'), guidelines: plainText(body.guidelines, 'guidelines'), tabTitle }, lang);
    store.audit.append({ actor: { username: locals(res).journalist!.username }, action: 'settings.branding', detail: { language: lang, what: 'texts' } });
    if (lang === DEFAULT_LANGUAGE) notice(res, 'staff.admin.done.brandingDefault');
    else notice(res, 'staff.admin.done.branding', { language: LANGUAGES.find((l) => l.tag === lang)!.name });
    res.redirect(303, BACK);
  });
  router.post('/admin/branding/logo', async (req, res) => {
    // Decoded and re-encoded off the event loop; a refusal leaves the current logo as it was.
    try {
      store.settings.setLogo(await rebuildLogo(await readLogo(req)));
      store.audit.append({ actor: { username: locals(res).journalist!.username }, action: 'settings.branding', detail: { what: 'logo' } });
      logoChanged(store);
    } catch (error) {
      if (error instanceof ImageError) throw new HttpError(400, said('staff.error.logo', { detail: error.message }));
      throw error instanceof LogoBusyError ? new HttpError(503, said('error.busyUnchanged')) : error;
    }
    notice(res, 'staff.admin.done.logo');
    res.redirect(303, BACK);
  });
  router.post('/admin/branding/logo/remove', (_req, res) => {
    store.settings.setLogo(null);
    store.audit.append({ actor: { username: locals(res).journalist!.username }, action: 'settings.branding', detail: { what: 'logo removed' } });
    logoChanged(store);
    notice(res, 'staff.admin.done.logoRemoved');
    res.redirect(303, BACK);
  });
  router.get('/admin/branding/logo', (_req, res) => sendLogo(store, res));
  return router;
}

/** The logo for the source pages, from the same origin (no third party ever serves a byte to a source). */
export function logoRoute(store: Store): Router {
  const router = Router();
  void logoServable(store); // a logo stored by an older version is checked now, before a source asks for it
  router.get('/branding/logo', (_req, res) => sendLogo(store, res));
  return router;
}

async function sendLogo(store: Store, res: import('express').Response): Promise<void> {
  const logo = (await logoServable(store)) ? store.settings.logo() : null;
  if (!logo) throw new HttpError(404, said('staff.error.noLogo'));
  // no-store: it heads every source page, and a cached copy would tell a seized device's disk which drop was visited.
  res.type(logo.type).set('Cache-Control', 'no-store').send(logo.bytes);
}
