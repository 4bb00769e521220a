import { Router, type Request, type RequestHandler } from 'express';
import { concurrencyLimit } from '../../http/limits.ts';
import { completeAddressed } from '../../recipients.ts';
import { checkObjects } from './addressed.ts';
import { arrivedWhole } from './arrived-whole.ts';
import { SECRET } from './send-head.ts';
import { deskOfSource, NOT_OPEN, offeredDesks, openToNewSources, type Recipients } from '../../sources/desks.ts';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { sourceOf } from './conversation.ts';
import { limitsOf, maxObjectBytes, type Config } from '../../config.ts';
import { HttpError } from '../../http/errors.ts';
import { requireSpace } from '../../http/space.ts';
import { bodyBytes, jsonObject, partNumberParam, rawBody, submissionIdParam } from '../../http/validate.ts';
import type { Store } from '../../store/index.ts';
import { formatLimit } from '../../../common/sizes.ts';
import { said } from '../../i18n/said.ts';
import type { SourceGates } from './conversation.ts';
import { sendsApi } from './sends.ts';

export type SourceApiDeps = { config: Config; store: Store; recipients: Recipients; sessions: SourceSessions; gates: SourceGates; arrived?: (desk: number | null) => void };

export { NOT_OPEN } from '../../sources/desks.ts';
// Uploads in flight at once; each holds one request body in memory until its row's group commit
// (raw-body parsing briefly holds a second copy while it assembles it): a part (PUT …/parts/:n), or
// a folded send's part, manifest (at most the manifest limit) and head (at most 32 KiB). Bounded by
// the folded route's declared-length limit, part + manifest + 64 KiB per slot: about 133 MiB for 32
// slots at the defaults (SEALDROP_PART_SIZE scales it). A request finding them all busy waits
// briefly for its turn (its body unread: a connection, nothing in memory) rather than being sent
// away to retry.
const MAX_UPLOADS = 32;
const WAITING = { maxWaiting: 128, waitMs: 10_000 };
export const SECRET_HEADER = 'x-upload-secret';

/** The upload a request names; a missing or malformed secret is looked up like a wrong one (no shortcut to time). */
const uploadOf = (req: Request): [string, string] => [submissionIdParam(req), req.get(SECRET_HEADER) ?? ''];

export function sourceApi({ config, store, recipients, sessions, gates, arrived = () => undefined }: SourceApiDeps): Router {
  const router = Router();
  const { maxParts } = limitsOf(config);
  const recipientCount = () => Math.max(1, store.journalists.active().length);
  const partLimit = () => maxObjectBytes(config, recipientCount());
  // A manifest lists a 64-character digest per part, so it grows with the part count, not the part size.
  const manifestLimit = () => 8192 + 80 * maxParts + (recipientCount() + 1) * 1024; // +1: the source's own key
  const uploads = concurrencyLimit(MAX_UPLOADS, WAITING);
  const newUpload = requireSpace(config, store, 'new', () => 0);
  const continuing = requireSpace(config, store, 'continuing', () => Math.max(partLimit(), manifestLimit()));
  // First on every route that names an upload: without its secret, nothing is read, queued or stored.
  const holder: RequestHandler = (req, _res, next) => {
    store.submissions.held(...uploadOf(req));
    next();
  };

  // The keys a pending upload's objects must be addressed to: its source's desk's (or everyone's).
  const keysFor = (submissionId: string) => recipients(store.desks.deskOfUpload(submissionId));

  /** The source's own key ID: a manifest may be sealed to it as well as to the desk's keys (the source's page shows the names). */
  const sourceKeyOf = (submissionId: string): string | null => store.sources.get(store.submissions.sourceOfPending(submissionId)).recipientKeyId ?? null;

  // A source with a codename gets its own desk's keys; a new one, the desks it may choose from
  // (two or more), or the keys of the one desk or of the whole newsroom, as before desks.
  router.get('/config', async (req, res) => {
    const common = { partSize: config.partSize, maxParts, maxFileBytes: config.maxFileBytes, kdfSalt: store.sources.kdfSalt() };
    if (req.get('x-source-token') !== undefined) {
      const { armored } = await recipients(deskOfSource(store, sourceOf(sessions, req)));
      return void res.json({ open: armored.length > 0, ...common, keys: armored });
    }
    const offered = await offeredDesks(store, recipients);
    // A choice whenever two desks exist, even with one offered (sources/desks.ts chosenDesk says why).
    if (offered.length >= 2 || offered[0]?.ask) return void res.json({ open: true, ...common, keys: [], desks: offered.map((d) => ({ id: d.id, keys: d.recipients.armored })) });
    // Desks with none offered: closed, never the whole newsroom's keys (sources/desks.ts openToNewSources).
    const open = await openToNewSources(store, recipients, offered);
    res.json({ open, ...common, keys: open ? (await recipients(offered[0]?.id ?? null)).armored : [] });
  });

  router.post('/submissions', newUpload, async (req, res) => {
    const body = jsonObject(req, ['parts', 'secret']);
    const parts = body.parts;
    if (typeof parts !== 'number' || !Number.isSafeInteger(parts) || parts < 1 || parts > maxParts) {
      throw new HttpError(400, said('error.parts', { max: maxParts, size: formatLimit(config.maxFileBytes) }));
    }
    const secret = body.secret;
    if (typeof secret !== 'string' || !SECRET.test(secret)) throw new HttpError(400, said('error.unreadable', { status: 400 }));
    // Not open (for this source's desk, or at all) is said before a missing session is.
    const session = sessions.get(req.get('x-source-token'));
    if ((await recipients(session ? deskOfSource(store, session.sourceId) : null)).keyIds.length === 0) throw new HttpError(503, NOT_OPEN, 'not_open');
    const submission = store.submissions.create(sourceOf(sessions, req), parts, { secret });
    res.status(201).json({ submission });
  });

  // After a dropped connection or a server restart the page asks what arrived. The secret its page
  // made is the capability (sessions end at a restart); journalists, exports and backups see only
  // the id. Once complete, the upload answers nobody: a 404 exactly like an unknown id's.
  router.get('/submissions/:id', (req, res) => {
    res.json(store.submissions.received(...uploadOf(req)));
  });

  router.put('/submissions/:id/parts/:n', holder, uploads, continuing, rawBody(partLimit), async (req, res) => {
    const id = submissionIdParam(req);
    const n = partNumberParam(req);
    const data = bodyBytes(req);
    await checkObjects(await keysFor(id), { part: data });
    await store.submissions.putPart(id, n, data);
    res.status(204).end();
  });

  router.put('/submissions/:id/manifest', holder, uploads, continuing, rawBody(manifestLimit), async (req, res) => {
    const id = submissionIdParam(req);
    const data = bodyBytes(req);
    const ownKey = sourceKeyOf(id);
    await checkObjects(await keysFor(id), { manifest: data, ownKey });
    await store.submissions.putManifest(id, data);
    res.status(204).end();
  });

  // Completing reads the head of every stored object: it shares the upload slots.
  router.post('/submissions/:id/complete', holder, arrivedWhole, uploads, async (req, res) => {
    const id = submissionIdParam(req);
    store.submissions.assertArrived(id); // its refusals first, as before (a repeated complete: 409)
    const desk = store.desks.deskOfUpload(id); // the keys checked are this desk's: completing refuses if the conversation moved since
    // Sealed to (submission_keys): the keys checked; an item no longer addressed to them is discarded.
    await completeAddressed(store, id, () => recipients(desk), sourceKeyOf(id), (fingerprints) => store.submissions.complete(id, fingerprints, desk));
    arrived(desk); // notices of new material, to whoever can see it: in memory, nothing more on this path
    res.status(204).end();
  });

  // Folded sends (routes/source/sends.ts): the same limits, upload slots and checks, in fewer round trips.
  router.use(sendsApi({ config, store, recipients, sessions, gates, arrived, uploads, maxParts, partLimit, manifestLimit }));

  return router;
}
