import { Router } from 'express';
import { renderSourcePage } from '../../views/source.ts';
import type { Config } from '../../config.ts';
import type { RecipientSet } from '../../recipients.ts';

export function sourcePages({ config, recipients }: { config: Config; recipients: () => Promise<RecipientSet> }): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const open = (await recipients()).keys.length > 0;
    res.type('html').send(renderSourcePage({ open, maxFileMiB: Math.floor(config.maxFileBytes / 1048576) }));
  });
  return router;
}
