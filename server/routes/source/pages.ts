import { Router } from 'express';
import { renderSourcePage } from '../../../client/pages/source.ts';
import type { Config } from '../../config.ts';
import type { Store } from '../../store/index.ts';

export function sourcePages({ config, store }: { config: Config; store: Store }): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    const open = store.journalists.active().length > 0;
    res.type('html').send(renderSourcePage({ open, maxFileMiB: Math.floor(config.maxFileBytes / 1048576) }));
  });
  return router;
}
