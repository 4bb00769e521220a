import { Router } from 'express';
import { renderSourcePage } from '../../views/source.ts';
import { renderGuide } from '../../views/guide.ts';
import { limitsOf, type Config } from '../../config.ts';
import type { RecipientSet } from '../../recipients.ts';
import { cameByOnion } from '../../http/onion-location.ts';
import type { Store } from '../../store/index.ts';
import { sendPage } from '../../http/pad-responses.ts';

type PagesDeps = { config: Config; store: Store; recipients: () => Promise<RecipientSet>; sourceOnion: string | null };

export function sourcePages({ config, store, recipients, sourceOnion }: PagesDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const open = (await recipients()).keys.length > 0;
    // A source who reached a mirror (or a test address) is told the onion address to use instead.
    const onion = sourceOnion && !cameByOnion(req.get('host'), sourceOnion) ? sourceOnion : null;
    const logo = store.settings.logo() !== null;
    // Each language with its own branding texts, which the newsroom may have written at any length.
    sendPage(res, (t) => renderSourcePage({ t, open, maxFileMiB: limitsOf(config).maxFileMiB, onion, branding: { ...store.settings.branding(t.tag), logo } }));
  });
  router.get('/guide', (_req, res) => sendPage(res, renderGuide));
  return router;
}
