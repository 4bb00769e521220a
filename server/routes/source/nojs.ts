import { Router, type Request, type RequestHandler, type Response } from 'express';
import { renderSentPage } from '../../views/sent.ts';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { readCookie } from '../../http/session.ts';
import { serverMadeSource } from '../../sources/register.ts';
import { limitsOf, type Config } from '../../config.ts';
import { HttpError } from '../../http/errors.ts';
import { declaresMoreThan } from '../../http/validate.ts';
import { floorFor, requireSpace } from '../../http/space.ts';
import { MAX_MESSAGE_BYTES, readForm, typedFields } from '../../nojs/form.ts';
import { formatLimit } from '../../../common/sizes.ts';
import { brandingFor, keepFormOnRefusal, keepTyped } from './refusals.ts';
import { chosenDesk, deskOfSource, offerDesks, offeredTo, openToNewSources, type Recipients } from '../../sources/desks.ts';
import { answerSend } from './codename-first.ts';
import type { FormTokens, SendResult } from '../../sources/form-tokens.ts';
import { SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS } from './cookie.ts';
import { discardWritten, sealStream } from '../../nojs/seal-stream.ts';
import type { SealInPlace } from '../../nojs/part-memory.ts';
import type { WrittenUpload } from '../../store/written.ts';
import { concurrencyLimit } from '../../http/limits.ts';
import { assertSameKeys, KEYS_CHANGED, type RecipientSet } from '../../recipients.ts';
import { WrongRecipientsError } from '../../../common/envelope/index.ts';
import type { Store } from '../../store/index.ts';
import { NOT_OPEN } from './api.ts';
import type { SourceGates } from './conversation.ts';
import { untilClosed } from '../../http/gate.ts';
import { encryptPool } from '../../sources/key-pool.ts';
import { said } from '../../i18n/said.ts';
import { sendPage } from '../../http/pad-responses.ts';

// No-JS uploads in flight at once; each holds at most three parts of plaintext in memory
// (seal-stream.ts): 16 × 12 MiB at the default part size. A browser without JavaScript does not
// retry a refusal, so a form that finds every slot busy waits its turn, briefly and in a bounded
// queue, before it is refused (tests/reliability/load.test.ts: 200 sources at once).
const MAX_UPLOADS = 16;
const WAITING = { maxWaiting: 64, waitMs: 20_000 };

/** The JavaScript-off path: a plain form whose files the server encrypts in memory as they arrive. */
export { SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS };

export type NoScriptDeps = { config: Config; store: Store; recipients: Recipients; sessions: SourceSessions; gates: SourceGates; tokens: FormTokens; arrived?: (desk: number | null) => void };

export function noScriptSubmit({ config, store, recipients: current, sessions, gates, tokens, arrived = () => undefined }: NoScriptDeps): Router {
  const router = Router();
  const { maxParts } = limitsOf(config);
  const maxFile = formatLimit(config.maxFileBytes);

  // A request carrying a source's session shows that its codename page arrived (the page set the
  // cookie): the copy kept for a repeat of that form goes, so the token cannot hand it out again.
  router.use((req, _res, next) => {
    const session = sessions.get(readCookie(req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS));
    if (session) tokens.forgetSource(session.sourceId);
    next();
  });

  // The slot is the route's (takeOver): a client that hangs up does not free it while its parts are still sealed and
  // written (up to PART_MEMORIES part memories each); it is freed once every part begun has settled and been discarded.
  const uploads = concurrencyLimit(MAX_UPLOADS, WAITING);
  const submit = async (req: Request, res: Response) => {
    if (!req.is('multipart/form-data')) throw new HttpError(415, said('error.multipart'));
    const written: WrittenUpload[] = [];
    // Every seal and new source begun, settled before anything is cleaned up: whatever one of them
    // stores after the form's read failed is discarded with the rest (bad input changes nothing).
    const begun: Promise<unknown>[] = [];
    // The door checked what the form declares and holds nothing (a claim is not bytes): each sealed part reserves its
    // own room as it is written, released once written, so a form holds at most its part memories' worth. A declared
    // form's parts need the continuing floor (the whole form was checked against the new one); a form that hides its
    // length was checked for nothing, and each of its parts needs the whole floor, like a new upload.
    const floor = floorFor(config, req.get('content-length') === undefined ? 'new' : 'continuing');
    const room = (bytes: number) => store.space.ensure(bytes, floor);
    const typed = keepTyped(res);
    // A returning source (cookie from a codename login) adds to their conversation; a new one gets a codename.
    const existing = sessions.get(readCookie(req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS))?.sourceId ?? null;
    const offered = offeredTo(res);
    // A returning source's sends go to their conversation's desk; a new source's to the desk the form
    // names (read before any file: nojs/form.ts refuses a desk field that comes after one).
    let target = existing ? await toDesk(current, deskOfSource(store, existing)) : null;
    const open = target ? target.used.keys.length > 0 : await openToNewSources(store, current, offered);
    if (!open) throw new HttpError(503, NOT_OPEN);
    let created = null as { sourceId: string; codename: string } | null;
    let claim: Awaited<ReturnType<FormTokens['take']>> | null = null;
    // The token comes first in the form: a repeat of a send already answered is read, not encrypted.
    let early: SendResult | null | undefined;
    try {
      const count = await readForm(req, config.maxFileBytes, async (item) => {
        if (early === undefined) early = tokens.answered(typed.once, 'submit'); // at the first item only
        if (early) return void (await drained(item.content));
        target ??= await toDesk(current, chosenDesk(store, offered, typed.desk));
        const { deskId, used } = target;
        // PBKDF2 and a key pair: bounded by its own gate, before anything of this form is stored.
        if (!existing && !created) await track(begun, gates.newSource.run(() => serverMadeSource(store, deskId), untilClosed(res)).then((made) => (created ??= made)));
        const sourceId = existing ?? created!.sourceId;
        const seal: SealInPlace = (memory, at, length) => encryptPool.run({ kind: 'seal', memory, at, length, recipients: used.armored });
        const recipients = used.keys.map((k) => k.key);
        const wholeFileDigest = req.get('content-length') !== undefined && !declaresMoreThan(req, WHOLE_DIGEST_MAX);
        await track(begun, sealStream(truncationChecked(item.content, maxFile), { store, recipients, sourceId, name: item.name, type: item.type, partSize: config.partSize, maxParts, seal, wholeFileDigest, room }).then((w) => written.push(w)));
      }, typed);
      if (count === 0) throw new HttpError(400, said('error.nothingChosen'));
      if (early) return answerSend(res, { store, sessions }, early);
      // A journalist disabled while the bytes arrived must not receive them: then nothing is kept.
      assertSameKeys((await current(target!.deskId)).keyIds, target!.used.keyIds);
      // A returning source's conversation moved to another desk meanwhile (a move confirmed during a
      // long upload): what was sealed to the old desk is not kept, even when the keys are the same.
      if (existing && deskOfSource(store, existing) !== target!.deskId) throw new WrongRecipientsError(KEYS_CHANGED);
      // A repeat of a form already kept (a double click, Back and Send again) waits for the first
      // one's answer, and this copy goes. If the first failed, this copy is the send; if its answer
      // is forgotten, a new source's copy is kept as a new send (never dropped unseen), while a
      // returning source's first send is in their conversation already.
      claim = await tokens.take(typed.once, 'submit');
      if (!claim.first && (claim.answer || existing)) throw new RepeatedSend(claim.answer);
      // All or nothing: only a form that arrived whole becomes visible to journalists.
      store.submissions.completeWritten(written, created?.sourceId ?? null, target!.used.keys.map((k) => k.fingerprint), target!.deskId);
    } catch (error) {
      if (claim?.first) tokens.release(claim.key);
      await Promise.allSettled(begun);
      await Promise.all(written.map((w) => discardWritten(store, w)));
      if (created) store.submissions.discardSourceIfEmpty(created.sourceId);
      if (error instanceof RepeatedSend) return answerSend(res, { store, sessions }, error.answer);
      res.set('Connection', 'close');
      throw error;
    }
    arrived(target?.deskId ?? null); // notices of new material, to whoever can see it: in memory, nothing more on this path
    // Stored: nothing below may refuse or fail (the session is an HMAC, no table), so the codename is
    // always shown. It is kept in memory only for a repeat of this form (form-tokens.ts), minutes at most.
    const result = { sourceId: existing ?? created!.sourceId, codename: created?.codename ?? null };
    tokens.remember(claim.first ? claim.key : null, result);
    answerSend(res, { store, sessions }, result);
  };
  router.post('/submit', offerDesks(store, current), refuseDeclaredOver(config.maxFileBytes + FORM_OVERHEAD, maxFile), uploads, requireSpace(config, store, 'new', () => config.maxFileBytes + FORM_OVERHEAD, false), async (req, res) => {
    const free = uploads.takeOver(req);
    try {
      await submit(req, res);
    } finally {
      free();
    }
  });

  router.get('/sent', (req, res) => {
    const branding = brandingFor(store);
    const leave = sessions.get(readCookie(req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS))?.csrf;
    sendPage(res, (t) => renderSentPage(t, branding(t), leave));
  });
  router.use(keepFormOnRefusal); // a send refused before it was read still comes back with its message
  return router;
}

/** The keys a send to `deskId` (null: the whole newsroom) is encrypted to, read once for the whole form. */
async function toDesk(current: Recipients, deskId: number | null): Promise<{ deskId: number | null; used: RecipientSet }> {
  return { deskId, used: await current(deskId) };
}

/** Notes `work` among what this form began (its cleanup waits for it), and waits for it. */
function track<T>(begun: Promise<unknown>[], work: Promise<T>): Promise<T> {
  begun.push(work);
  return work;
}

/** This send repeats a form already kept: it is discarded, and answered with the first one's page. */
class RepeatedSend extends Error {
  constructor(readonly answer: SendResult | null) {
    super('repeated send');
  }
}

/** A repeat's item, read to its end and dropped (the browser shows an answer only to a request it finished sending). */
async function drained(content: AsyncIterable<Buffer>): Promise<void> {
  for await (const _ of content);
}

// A form up to this long has its files' whole SHA-256 in their manifests; a longer one (or one that
// hides its length) has none, as the page leaves it out above the same size (client NATIVE_DIGEST_MAX).
const WHOLE_DIGEST_MAX = 64 * 1024 * 1024;

// The message field and the multipart framing around the files.
const FORM_OVERHEAD = MAX_MESSAGE_BYTES + 64 * 1024;

/**
 * One send without JavaScript carries at most one file's limit in all. Browsers declare a form's
 * length, so a form that says it is larger is refused before a byte of it is read or encrypted
 * (a form that lies is still cut at the per-file limit as it arrives).
 */
function refuseDeclaredOver(maxBytes: number, maxFile: string): RequestHandler {
  return async (req, res, next) => {
    if (!declaresMoreThan(req, maxBytes)) return next();
    // The message comes before the files in the form: it is read, to be shown again with the refusal.
    Object.assign(keepTyped(res), await typedFields(req));
    // Answered now, and the rest of the body read and dropped: a browser shows an answer only to a
    // request it finished sending (one cut short shows "connection reset"). The slow-body guard
    // still cuts a sender too slow to be worth waiting for.
    next(new HttpError(413, said('error.nojsTooLarge', { size: maxFile })));
  };
}

/** Passes the file through, failing once busboy reports the file went over the size limit. */
async function* truncationChecked(stream: AsyncIterable<Buffer> & { truncated?: boolean }, maxFile: string): AsyncIterable<Buffer> {
  yield* stream;
  if (stream.truncated) throw new HttpError(413, said('error.nojsFileTooLarge', { size: maxFile }));
}

