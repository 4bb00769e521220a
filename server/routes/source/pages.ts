import { Router } from 'express';
import { renderSourcePage } from '../../views/source.ts';
import { renderGuide } from '../../views/guide.ts';
import type { Config } from '../../config.ts';
import { formatLimit } from '../../../common/sizes.ts';
import { brandingFor } from './refusals.ts';
import { SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS } from './cookie.ts';
import { readCookie } from '../../http/session.ts';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import type { FormTokens } from '../../sources/form-tokens.ts';
import { deskOfSource, offeredDesks, openToNewSources, type Recipients } from '../../sources/desks.ts';
import { cameByOnion } from '../../http/onion-location.ts';
import type { Store } from '../../store/index.ts';
import { sendPage } from '../../http/pad-responses.ts';

type PagesDeps = { config: Config; store: Store; recipients: Recipients; sourceOnion: string | null; sessions: SourceSessions; tokens: FormTokens };

export function sourcePages({ config, store, recipients, sourceOnion, sessions, tokens }: PagesDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    // With two desks or more the source chooses one; with one or none the page is as before desks.
    const desks = await offeredDesks(store, recipients);
    const open = await openToNewSources(store, recipients, desks);
    // A source who reached a mirror (or a test address) is told the onion address to use instead.
    const onion = sourceOnion && !cameByOnion(req.get('host'), sourceOnion) ? sourceOnion : null;
    // Each language with its own branding texts, which the newsroom may have written at any length.
    const branding = brandingFor(store);
    const session = sessions.get(readCookie(req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS));
    const leave = session?.csrf;
    // Logged in without JavaScript (a codename asked for first, or a send): their sends go to their desk.
    const ownDesk = session ? deskOfSource(store, session.sourceId) : undefined; // undefined: nobody logged in
    const once = tokens.issue(); // one token for the page in every language it is rendered in
    sendPage(res, (t) => renderSourcePage({ t, open, maxFile: formatLimit(config.maxFileBytes), onion, branding: branding(t), leave, once, desks, ownDesk }));
  });
  router.get('/guide', (req, res) => {
    const branding = brandingFor(store);
    const leave = sessions.get(readCookie(req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS))?.csrf;
    sendPage(res, (t) => renderGuide(t, branding(t), leave));
  });
  return router;
}
