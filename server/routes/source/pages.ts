import { Router } from 'express';
import { renderSourcePage } from '../../views/source.ts';
import { renderGuide } from '../../views/guide.ts';
import { limitsOf, type Config } from '../../config.ts';
import type { RecipientSet } from '../../recipients.ts';
import { cameByOnion } from '../../http/onion-location.ts';
import type { Store } from '../../store/index.ts';
import { tOf } from '../../i18n/middleware.ts';

type PagesDeps = { config: Config; store: Store; recipients: () => Promise<RecipientSet>; sourceOnion: string | null };

export function sourcePages({ config, store, recipients, sourceOnion }: PagesDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const open = (await recipients()).keys.length > 0;
    // A source who reached a mirror (or a test address) is told the onion address to use instead.
    const onion = sourceOnion && !cameByOnion(req.get('host'), sourceOnion) ? sourceOnion : null;
    const branding = { ...store.settings.branding(tOf(res).tag), logo: store.settings.logo() !== null };
    res.type('html').send(renderSourcePage({ t: tOf(res), open, maxFileMiB: limitsOf(config).maxFileMiB, onion, branding }));
  });
  router.get('/guide', (_req, res) => void res.type('html').send(renderGuide(tOf(res))));
  return router;
}
