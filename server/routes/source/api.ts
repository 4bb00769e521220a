import { Router } from 'express';
import { assertAddressedTo, MAX_PARTS } from '../../../client/envelope/index.ts';
import { maxObjectBytes, type Config } from '../../config.ts';
import { HttpError } from '../../http/errors.ts';
import { bodyBytes, jsonObject, partNumberParam, rawBody, submissionIdParam } from '../../http/validate.ts';
import type { Store } from '../../store/index.ts';

export type SourceApiDeps = { config: Config; store: Store };

/** Refuses an object unless it is addressed to exactly the active journalists (the server never decrypts). */
async function checkObject(store: Store, data: Uint8Array): Promise<void> {
  const active = store.journalists.active();
  if (active.length === 0) throw new HttpError(503, 'Submissions are not open: no journalist is set up.');
  await assertAddressedTo(data, active.map((j) => j.recipientKeyId));
}

export function sourceApi({ config, store }: SourceApiDeps): Router {
  const router = Router();
  const maxParts = Math.min(MAX_PARTS, Math.ceil(config.maxFileBytes / config.partSize));
  const objectLimit = () => maxObjectBytes(config, Math.max(1, store.journalists.active().length));

  router.get('/config', (_req, res) => {
    const keys = store.journalists.active().map((j) => j.publicKey);
    res.json({ open: keys.length > 0, partSize: config.partSize, maxParts, keys });
  });

  router.post('/submissions', (req, res) => {
    const body = jsonObject(req, ['parts']);
    const parts = body.parts;
    if (typeof parts !== 'number' || !Number.isSafeInteger(parts) || parts < 1 || parts > maxParts) {
      throw new HttpError(400, `"parts" must be a whole number from 1 to ${maxParts} (files up to ${Math.floor(config.maxFileBytes / 1048576)} MiB).`);
    }
    if (store.journalists.active().length === 0) throw new HttpError(503, 'Submissions are not open: no journalist is set up.');
    const token = req.get('x-source-token');
    const source = token ? { token: undefined, id: store.submissions.sourceByToken(token) } : store.submissions.createSource();
    const submission = store.submissions.create(source.id, parts);
    res.status(201).json({ submission, ...(source.token ? { sourceToken: source.token } : {}) });
  });

  router.put('/submissions/:id/parts/:n', rawBody(objectLimit), async (req, res) => {
    const id = submissionIdParam(req);
    const n = partNumberParam(req);
    const data = bodyBytes(req);
    await checkObject(store, data);
    await store.submissions.putPart(id, n, data);
    res.status(204).end();
  });

  router.put('/submissions/:id/manifest', rawBody(objectLimit), async (req, res) => {
    const id = submissionIdParam(req);
    const data = bodyBytes(req);
    await checkObject(store, data);
    await store.submissions.putManifest(id, data);
    res.status(204).end();
  });

  router.post('/submissions/:id/complete', (req, res) => {
    store.submissions.complete(submissionIdParam(req));
    res.status(204).end();
  });

  return router;
}
