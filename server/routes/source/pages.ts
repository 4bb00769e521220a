import { Router } from 'express';
import { renderSourcePage } from '../../views/source.ts';
import { limitsOf, type Config } from '../../config.ts';
import type { RecipientSet } from '../../recipients.ts';

export function sourcePages({ config, recipients }: { config: Config; recipients: () => Promise<RecipientSet> }): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const open = (await recipients()).keys.length > 0;
    res.type('html').send(renderSourcePage({ open, maxFileMiB: limitsOf(config).maxFileMiB }));
  });
  return router;
}
