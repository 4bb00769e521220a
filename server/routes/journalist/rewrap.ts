import express, { Router, type Request, type Response } from 'express';
import { isId, isUsername } from '../../../common/ids.ts';
import { HttpError } from '../../http/errors.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { idParam, jsonObject } from '../../http/validate.ts';
import { ConflictError, type Journalist, type Store } from '../../store/index.ts';
import type { Plan, RewrapObject } from '../../store/rewrap.ts';
import { said } from '../../i18n/said.ts';
import type { JournalistDeps } from './common.ts';

// Sharing an item, moving a conversation to a desk, moving one's items to one's new key (docs/desks.md).
// Each operation is two requests from the page: without `objects` it answers the plan (each
// object's PKESK bytes, the key IDs to add, and those keys), which the page unwraps and wraps
// again with the journalist's key; with `objects` (per object only the PKESKs added, base64) the
// store checks them against the plan made again now and swaps them in. No private key and no
// session key is ever sent: only public-key packets.

// A conversation of 200 items of 1,000 parts, each adding a few hundred bytes of base64.
const JSON_LIMIT = '16mb';
const MAX_ITEMS = 200;
const MAX_OBJECTS = 250_000;

const me = (res: Response): Journalist => locals(res).journalist!;
const conversationId = (req: Request): string => idParam(req, said('staff.conv.gone'), req.params.id);
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** What the page needs to re-wrap: per object its PKESKs and the key IDs to add, and the keys by ID. */
const planAnswer = (plan: Plan) => ({
  objects: plan.objects.map((o) => ({ ref: o.ref, header: b64(o.header), add: o.add })),
  keys: Object.fromEntries(plan.keys),
});

/** `objects` when sent: an array of {ref, add} strings; undefined asks for the plan. */
function uploaded(value: unknown): RewrapObject[] | undefined {
  if (value === undefined) return undefined;
  const ok = Array.isArray(value) && value.length <= MAX_OBJECTS && value.every((o) => typeof o === 'object' && o !== null && Object.keys(o).length === 2 && typeof o.ref === 'string' && typeof o.add === 'string');
  if (!ok) throw new HttpError(400, said('staff.rewrap.badObjects'));
  return value as RewrapObject[];
}

/** The journalists an item is shared with: one by username, or a desk's active members. */
function targets(store: Store, to: unknown): Journalist[] {
  const t = typeof to === 'object' && to !== null ? (to as Record<string, unknown>) : {};
  const keys = Object.keys(t);
  let chosen: Journalist[];
  if (keys.length === 1 && typeof t.username === 'string' && isUsername(t.username)) chosen = [store.journalists.get(t.username)].filter((j) => j.active);
  else if (keys.length === 1 && typeof t.desk === 'string') chosen = store.desks.activeMembers(store.desks.get(t.desk).id);
  else throw new HttpError(400, said('staff.rewrap.badTarget'));
  if (chosen.length === 0) throw new HttpError(409, said('staff.rewrap.noReaders'));
  return chosen;
}

function itemIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ITEMS || !value.every(isId) || new Set(value).size !== value.length) {
    throw new HttpError(400, said('staff.rewrap.badItems', { max: MAX_ITEMS }));
  }
  return value as string[];
}

export function rewrapRoutes({ store }: Pick<JournalistDeps, 'store'>): Router {
  const router = Router();
  router.use(['/rewrap/choices', '/conversations/:id/headers', '/conversations/:id/share', '/conversations/:id/move', '/account/rotate'], requireJournalist);
  const json = express.json({ limit: JSON_LIMIT });
  const visible = (req: Request, res: Response): string => {
    const id = conversationId(req);
    store.access.assertSource(me(res).id, id, said('staff.conv.gone'));
    return id;
  };

  // Names the page offers: colleagues to share with, desks to share with or move to, and whether there is an old key to move from.
  router.get('/rewrap/choices', (_req, res) => {
    const journalists = store.journalists.active().filter((j) => j.id !== me(res).id).map((j) => j.username);
    res.json({ journalists, desks: store.desks.list().map((d) => d.name), retired: store.journalists.retiredKeys(me(res).id).length });
  });

  router.get('/conversations/:id/headers', async (req, res) => {
    const objects = await store.rewrap.headers(visible(req, res), me(res).id);
    res.json({ objects: objects.map((o) => ({ ref: o.ref, header: b64(o.header) })) });
  });

  router.post('/conversations/:id/share', json, async (req, res) => {
    const id = visible(req, res);
    const body = jsonObject(req, ['items', 'to', 'objects']);
    const items = itemIds(body.items);
    const to = targets(store, body.to);
    const objects = uploaded(body.objects);
    const plan = await store.rewrap.planShare(id, me(res).id, items, to.map((j) => j.id));
    if (!objects) return void res.json(planAnswer(plan));
    // Recorded: the keys that gained something, not desk members who could already open it all.
    const gained = new Set(plan.objects.flatMap((o) => o.add).map((keyId) => plan.keys.get(keyId)));
    const added = to.filter((j) => gained.has(j.publicKey)).map((j) => j.fingerprint);
    await store.rewrap.apply(plan, objects, () => store.audit.append({ actor: { username: me(res).username }, action: 'access.share', detail: { added, removed: [] } }));
    res.json({ done: plan.objects.length });
  });

  router.post('/conversations/:id/move', json, async (req, res) => {
    const id = visible(req, res);
    const body = jsonObject(req, ['toDesk', 'objects']);
    if (body.toDesk !== null && typeof body.toDesk !== 'string') throw new HttpError(400, said('staff.rewrap.badDesk'));
    const toDeskId = body.toDesk === null ? null : store.desks.get(body.toDesk).id;
    // Before "same desk": else one shown a shared item learns which desk the conversation is in.
    if (!store.access.readsWhole(me(res).id, id)) throw new ConflictError(said('staff.rewrap.notWhole'));
    if (store.desks.deskOf(id) === toDeskId) throw new HttpError(409, said('staff.rewrap.sameDesk'));
    // One waiting move per conversation: a second, confirmed later, would re-wrap against what the first changed.
    if (store.changes.pendingOf('move').some((c) => c.payload.sourceId === id)) throw new HttpError(409, said('staff.rewrap.movePending'));
    const objects = uploaded(body.objects);
    const plan = await store.rewrap.planMove(id, toDeskId, me(res).id);
    if (!objects) return void res.json(planAnswer(plan));
    // Checked now, so that a change waiting for a second administrator holds only well-formed packets.
    store.rewrap.check(plan, objects);
    const result = await store.changes.request('move', { sourceId: id, toDeskId, objects }, me(res).id);
    res.json(result.applied ? { done: plan.objects.length } : { pending: result.id });
  });

  router.post('/account/rotate', json, async (req, res) => {
    const body = jsonObject(req, ['objects']);
    const objects = uploaded(body.objects);
    const plan = await store.rewrap.planRotate(me(res).id);
    if (!objects) return void res.json(planAnswer(plan));
    const removed = store.journalists.retiredKeys(me(res).id).map((k) => k.fingerprint);
    await store.rewrap.apply(plan, objects, () => store.audit.append({ actor: { username: me(res).username }, action: 'access.rotate', detail: { added: [me(res).fingerprint], removed } }));
    res.json({ done: plan.objects.length });
  });

  return router;
}
