import type { IncomingMessage } from 'node:http';
import { Router, type Request } from 'express';
import { beforeRefusing } from '../../http/connections.ts';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { HttpError } from '../../http/errors.ts';
import { Gate, untilClosed } from '../../http/gate.ts';
import { idParam, jsonObject } from '../../http/validate.ts';
import { registerSource, type SourceKeys } from '../../sources/register.ts';
import { ConflictError, NotFoundError, type Store } from '../../store/index.ts';
import { isLoginSecret } from '../../../common/ids.ts';
import { said } from '../../i18n/said.ts';
import { sentItems, sourceManifest } from '../../sources/sent-items.ts';
import { arrivedWhole } from './arrived-whole.ts';
import { chosenDesk, offeredDesks, type Recipients } from '../../sources/desks.ts';

/**
 * Wrong codenames are throttled without a lockout: behind Tor every source shares one address, so a
 * global lock would let anyone shut every source out. Instead, each path that costs the server work
 * has its own bounded gate, and a wrong codename is answered only after a delay that holds no gate
 * slot, on a connection that meanwhile is among the first to give way to a newcomer (connections.ts).
 */
export type SourceGates = {
  /** JS registration: parses and checks two keys of at most 8,000 characters (~25 ms on the event loop). */
  registration: Gate;
  /** No-JS login: PBKDF2 (600,000 rounds, ~0.25 s of one core), then unlocking the key and decrypting replies. */
  codenameLogin: Gate;
  /** No-JS new source: PBKDF2 plus generating and locking a key pair (~0.5 s of one core in all). */
  newSource: Gate;
};

/**
 * One job at a time on each path: a flood keeps at most one core busy per path and leaves libuv's
 * thread pool (4 threads, shared with file I/O) room. The queues are long enough that a few
 * attacker loops only delay a real source; past them a flood gets a clear 503. A JS codename login
 * is one SHA-256 and an indexed lookup, cheaper than the gate itself, so it has none.
 */
export function sourceGates(): SourceGates {
  return {
    registration: new Gate({ width: 1, queue: 64, maxWaitMs: 30_000 }),
    codenameLogin: new Gate({ width: 1, queue: 64, maxWaitMs: 30_000 }),
    newSource: new Gate({ width: 1, queue: 16, maxWaitMs: 30_000 }),
  };
}

export type ConversationDeps = { store: Store; sessions: SourceSessions; gates: SourceGates; recipients: Recipients };

export const UNKNOWN_CODENAME = said('login.unknown');
export const WRONG_CODENAME_DELAY_MS = 1000;
/** The delay before a refusal: it holds no gate slot, and its connection gives way to any newcomer meanwhile. */
export const slowly = (req: IncomingMessage) => beforeRefusing(req, () => new Promise((r) => setTimeout(r, WRONG_CODENAME_DELAY_MS)));

/** `run`'s answer; its refusal as an unusable codename (a ConflictError) only after the delay, once any gate slot it held is free. */
export async function conflictsSlowly<T>(req: IncomingMessage, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ConflictError) await slowly(req);
    throw error;
  }
}

/** No source has this login secret: the same answer whether or not the codename ever existed. */
export class UnknownCodenameError extends HttpError {
  override name = 'UnknownCodenameError';
  constructor() {
    super(401, UNKNOWN_CODENAME, 'unknown_codename');
  }
}

/** The source a login secret belongs to (one SHA-256 and an indexed lookup), or UnknownCodenameError. */
export function sourceByLogin(store: Store, loginSecret: string): { id: string; privateKey: string } {
  try {
    return store.sources.byLogin(loginSecret);
  } catch (error) {
    throw error instanceof NotFoundError ? new UnknownCodenameError() : error;
  }
}

const text = (v: unknown, name: string, max: number): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new HttpError(400, said('error.textField', { field: name, max }));
  return v;
};

/** The login secret the page derives from a codename; anything else never reaches the store. */
const loginSecret = (v: unknown): string => {
  if (!isLoginSecret(v)) throw new HttpError(400, said('error.loginSecret'));
  return v;
};

/** The reply id named in the path, or a 404 for anything that could not be one. */
export function replyId(req: Request): string {
  return idParam(req, said('error.noReply'));
}

/** The source's session from the X-Source-Token header (JavaScript path). */
export function sourceOf(sessions: SourceSessions, req: Request): string {
  const session = sessions.get(req.get('x-source-token'));
  if (!session) throw new HttpError(401, said('error.sessionEnded'));
  return session.sourceId;
}

/** Codename accounts for the JavaScript path: everything secret is derived and decrypted on the device. */
export function conversationApi({ store, sessions, gates, recipients }: ConversationDeps): Router {
  const router = Router();

  router.post('/sources', async (req, res) => {
    const body = jsonObject(req, ['login', 'publicKey', 'privateKey', 'desk']);
    const keys = { loginSecret: loginSecret(body.login), publicKey: text(body.publicKey, 'publicKey', 8000), privateKey: text(body.privateKey, 'privateKey', 8000) };
    // With two desks or more the page sends the one chosen; a choice missing or not offered is refused here.
    const deskId = chosenDesk(store, await offeredDesks(store, recipients), body.desk);
    const sourceId = await conflictsSlowly(req, () => gates.registration.run(() => registerOrRetry(store, keys, deskId), untilClosed(res)));
    res.status(201).json({ sourceToken: sessions.create(sourceId).token });
  });

  router.post('/sources/login', async (req, res) => {
    const body = jsonObject(req, ['login']);
    let source: { id: string; privateKey: string };
    try {
      source = sourceByLogin(store, loginSecret(body.login));
    } catch (error) {
      if (error instanceof UnknownCodenameError) await slowly(req);
      throw error;
    }
    res.json({ sourceToken: sessions.create(source.id).token, privateKey: source.privateKey, replies: store.replies.list(source.id), sent: await sentItems(store, source.id) });
  });

  // The n-th item's manifest (ciphertext): only its packet for the source's own key (issue 25) and
  // the bulk; the page opens it on the device to show the item's name. Its own items only.
  router.get('/sent/:n/manifest', async (req, res) => {
    const n = /^[1-9]\d{0,6}$/.test(String(req.params.n)) ? Number(req.params.n) : 0;
    const sourceId = sourceOf(sessions, req);
    const item = store.submissions.sentBy(sourceId)[n - 1];
    if (!item) throw new HttpError(404, said('error.noSentItem'));
    res.type('application/octet-stream').send(Buffer.from(await sourceManifest(store, sourceId, item.manifest)));
  });

  router.get('/replies/:id', (req, res, next) => {
    const blob = store.replies.blobOf(replyId(req), sourceOf(sessions, req));
    res.type('application/octet-stream');
    store.blobs.stream(blob).on('error', next).pipe(res);
  });

  router.post('/replies/:id/read', arrivedWhole, (req, res) => {
    store.replies.markRead(replyId(req), sourceOf(sessions, req));
    res.status(204).end();
  });

  router.post('/replies/:id/delete', arrivedWhole, async (req, res) => {
    await store.replies.delete(replyId(req), sourceOf(sessions, req));
    res.status(204).end();
  });

  return router;
}

/** The new source's id; a retry after a lost response (common over Tor) is the same registration. */
async function registerOrRetry(store: Store, keys: SourceKeys, deskId: number | null): Promise<string> {
  try {
    return await registerSource(store, keys, { deskId });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const same = store.sends.sameSource(keys.loginSecret, keys.privateKey);
    if (same === null) throw error;
    return same;
  }
}
