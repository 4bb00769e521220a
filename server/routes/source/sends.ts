// Folded sends over a slow link (docs/envelope.md "Folded sends"): every round trip costs 0.8 s over
// Tor, so one request may register a new source, open its items, carry a part, and carry the
// manifest with the last part and complete the item. The body is three pieces whose lengths the
// X-Send-Lengths header declares before a byte is read: a JSON head, the part, the manifest.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { checkSourceKeyPair } from '../../../common/envelope/index.ts';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { HttpError } from '../../http/errors.ts';
import type { Slots } from '../../http/limits.ts';
import { untilClosed } from '../../http/gate.ts';
import { requireSpace, spaceOfRoute } from '../../http/space.ts';
import { BodyPool } from '../../http/read-body.ts';
import { rawBody } from '../../http/validate.ts';
import { said } from '../../i18n/said.ts';
import { assertSameKeys, completeAddressed } from '../../recipients.ts';
import { chosenDesk, deskOfSource, offeredDesks, type Recipients } from '../../sources/desks.ts';
import { checkObjects } from './addressed.ts';
import type { Config } from '../../config.ts';
import { ConflictError, type Store } from '../../store/index.ts';
import type { Fold, Sender, SendState } from '../../store/sends.ts';
import type { SourceGates } from './conversation.ts';
import { HEAD_MAX, SECRET, sendHead, sendLengths, sendPart, type SendHead } from './send-head.ts';
import { conflictsSlowly } from './conversation.ts';

/** Body buffers kept for the next requests (read-body.ts BodyPool). */
const IDLE_BODIES = 8;

export type SendsDeps = {
  config: Config;
  store: Store;
  recipients: Recipients;
  sessions: SourceSessions;
  gates: SourceGates;
  arrived: (desk: number | null) => void;
  uploads: Slots;
  maxParts: number;
  partLimit: () => number;
  manifestLimit: () => number;
};

const secretOf = (req: Request): string => {
  const secret = req.get('x-upload-secret') ?? '';
  if (!SECRET.test(secret)) throw new HttpError(404, said('error.noSubmission'));
  return secret;
};

/** The sender and its desk: a new source (its key pair checked here, in the registration gate), a known item's, or the session's. */
async function senderOf(d: SendsDeps, req: Request, res: Response, head: SendHead, known: SendState): Promise<{ sender: Sender; desk: number | null; ownKey: string | null }> {
  const { store, sessions } = d;
  if (head.register) {
    const r = head.register;
    const deskId = chosenDesk(store, await offeredDesks(store, d.recipients), r.desk);
    const key = await d.gates.registration.run(() => checkSourceKeyPair(r.publicKey, r.privateKey), untilClosed(res));
    return { sender: { register: { loginSecret: r.login, ...key }, deskId }, desk: deskId, ownKey: key.recipientKeyId };
  }
  const session = sessions.get(req.get('x-source-token'))?.sourceId;
  const sourceId = known.state === 'none' ? session : known.sourceId;
  if (!sourceId) throw new HttpError(401, said('error.sessionEnded'));
  // A pending item's secret reaches that item alone: opening others takes the source's session
  // (a repeat of a first request whose items are all open already changes nothing, and may go without).
  if (session !== sourceId && head.reserve.some((r) => d.store.sends.state(r.secret).state === 'none')) throw new HttpError(400, said('sends.reserveNeedsSession'));
  return { sender: { sourceId }, desk: deskOfSource(store, sourceId), ownKey: store.sources.get(sourceId).recipientKeyId ?? null };
}

/** A multi-part item made whole by this request: every stored object's head is read, as POST …/complete does. False when another request completed it. */
async function completeStored(d: SendsDeps, secret: string, id: string, desk: number | null, ownKey: string | null): Promise<boolean> {
  try {
    await completeAddressed(d.store, id, () => d.recipients(desk), ownKey, (fingerprints) => d.store.sends.complete(id, fingerprints, desk));
    return true;
  } catch (error) {
    // Two requests that each brought a last piece at once: the other one completed it (and told the desk).
    if (error instanceof ConflictError && d.store.sends.state(secret).state === 'complete') return false;
    throw error;
  }
}

/**
 * A repeat of a send that completed (its answer was lost): "done", and a registration in it logs in again the
 * source that sent the item, and no other; any other login gets one refusal after the login route's delay, so
 * that nothing here tells whether a login exists.
 */
async function repeated(d: SendsDeps, req: Request, res: Response, head: SendHead, owner: string): Promise<void> {
  if (!head.register) return void res.json({ done: true });
  const { login, privateKey } = head.register;
  await conflictsSlowly(req, () => d.store.sends.ownerOf({ loginSecret: login, privateKey }, owner));
  res.json({ done: true, sourceToken: d.sessions.create(owner).token });
}

async function fold(d: SendsDeps, req: Request, res: Response): Promise<void> {
  const secret = secretOf(req);
  const lengths = sendLengths(req);
  const body = req.body as Buffer;
  // What arrived is what was declared (no encoding reached here, but the check is cheap and final).
  if (!Buffer.isBuffer(body) || body.length !== lengths.total) throw new HttpError(400, said('error.unreadable', { status: 400 }));
  const head = sendHead(body.subarray(0, lengths.head), d.maxParts, secret);
  const n = sendPart(req);
  const part = lengths.part > 0 ? body.subarray(lengths.head, lengths.head + lengths.part) : null;
  const manifest = lengths.manifest > 0 ? body.subarray(lengths.head + lengths.part) : null;
  // A part numbered 1..parts, or none (n = 0, the manifest alone); the manifest rides only with the last part.
  if ((part === null) !== (n === 0) || n > head.parts || (manifest && part && n !== head.parts)) throw new HttpError(400, said('error.unreadable', { status: 400 }));
  // Read again, not taken from the space check: the body arrived since (tens of seconds over Tor), and another
  // request may have opened or completed the item meanwhile; acting on the older read would answer a completed
  // item 404 instead of done (tests/integration/folded-send-review.test.ts). The commit group checks once more.
  const known = d.store.sends.state(secret);
  if (known.state === 'complete') return repeated(d, req, res, head, known.sourceId);
  const { sender, desk, ownKey } = await senderOf(d, req, res, head, known);
  // A pending item's keys are its conversation's desk's, as for PUT …/parts/:n.
  const itemDesk = known.state === 'pending' ? d.store.desks.deskOfUpload(known.id) : desk;
  const keys = await d.recipients(itemDesk);
  await checkObjects(keys, { part, manifest, ownKey });
  // Everything of a one-part item is here and checked: it completes in the transaction that stores it.
  const alone = head.parts === 1 && part !== null && manifest !== null;
  const f: Fold = {
    sender, secret, parts: head.parts, reserve: head.reserve, part: part && { n, data: part }, manifest,
    complete: alone ? { fingerprints: keys.keys.map((k) => k.fingerprint), desk: itemDesk } : null,
    // Its keys read again once its objects are on disk (as POST …/complete does): a journalist removed meanwhile gets nothing.
    recheck: alone ? async () => assertSameKeys((await d.recipients(itemDesk)).keyIds, keys.keyIds) : undefined,
  };
  const store = () => d.store.sends.fold(f);
  const folded = await (head.register ? conflictsSlowly(req, store) : store());
  // The desk is told once: by the request that completed the item, never by a repeat or the other of two racing.
  const completedHere = folded.already ? false : folded.done || (folded.whole && (await completeStored(d, secret, folded.id, itemDesk, ownKey)));
  if (completedHere) d.arrived(itemDesk);
  const done = folded.whole;
  res.json({ done, ...(head.register ? { sourceToken: d.sessions.create(folded.sourceId).token } : {}) });
}

export function sendsApi(d: SendsDeps): Router {
  const router = Router();
  const most = () => d.partLimit() + d.manifestLimit() + 64 * 1024;
  // Nothing is read before the declared lengths are checked against the limits and the Content-Length.
  const declared: RequestHandler = (req, _res, next) => {
    // An encoded body would be inflated past the declared lengths (the body parser checks none then).
    if (req.get('content-encoding') !== undefined) throw new HttpError(415, said('sends.encoding'));
    secretOf(req);
    sendPart(req);
    sendLengths(req, d.partLimit(), d.manifestLimit());
    next();
  };
  // Before the body: an item the server knows needs only the reserve, a new one the whole floor (fold reads the state again
  // once the body is in). A complete one's repeat stores nothing and is answered "done": refused for the floor, its page
  // would say "not sent" of an item that arrived, and the next Send would store it twice.
  const space: RequestHandler = (req, res, next) =>
    requireSpace(d.config, d.store, d.store.sends.state(secretOf(req)).state === 'none' ? 'new' : 'continuing', most)(req, res, next);
  // Bodies are read into reused buffers (http/read-body.ts), each given back once fold has settled: every check and
  // write of the part is awaited in it. At most IDLE_BODIES are kept between requests (about 33 MiB at 4 MiB parts).
  // Sized by the limits at start (the head's 32 KiB bound leaves room for keys added since); a larger body gets a buffer of its own.
  const pool = new BodyPool(HEAD_MAX + d.partLimit() + d.manifestLimit(), IDLE_BODIES);
  // The upload slot and the space reserved are the route's from here on, given back when it has settled (a refused
  // body, or fold's end), never when the client hangs up: fold may still hold the body and write it then.
  const taken = new WeakMap<Request, () => void>();
  const take: RequestHandler = (req, _res, next) => {
    const slot = d.uploads.takeOver(req);
    const space = spaceOfRoute(req);
    taken.set(req, () => (slot(), space.release()));
    next();
  };
  const settled = (req: Request) => {
    taken.get(req)?.();
    taken.delete(req);
  };
  const body = rawBody((req) => sendLengths(req).total, pool);
  const read: RequestHandler = (req, res, next) => body(req, res, (error?: unknown) => (error === undefined ? next() : (settled(req), next(error))));
  const folded: RequestHandler = async (req, res) => {
    try {
      await fold(d, req, res);
    } finally {
      pool.settled(req);
      settled(req);
    }
  };
  // The space after the slot: a request waiting in the slot's queue (its body not read) holds no reservation.
  router.post('/sends/:n', declared, d.uploads, space, take, read, folded);
  // What the server holds of a send (after a dropped connection): done, what is pending, or 404.
  router.get('/sends', (req, res) => {
    const s = d.store.sends.state(secretOf(req));
    if (s.state === 'none') throw new HttpError(404, said('error.noSubmission'));
    res.json(s.state === 'complete' ? { done: true } : { done: false, parts: s.parts, manifest: s.manifest });
  });
  return router;
}
