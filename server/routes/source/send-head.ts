// The framing of a folded send (routes/source/sends.ts), parsed strictly: the lengths are declared
// in a header before anything is read and must add up to the Content-Length exactly; the head is a
// JSON object with exactly the known fields, each checked; anything else is refused, nothing stored.
import type { Request } from 'express';
import { isLoginSecret } from '../../../common/ids.ts';
import { HttpError } from '../../http/errors.ts';
import { said } from '../../i18n/said.ts';

export const LENGTHS_HEADER = 'x-send-lengths';
/** The head: a registration (two keys of at most 8,000 characters) and up to MAX_RESERVE secrets fit well within this. */
export const HEAD_MAX = 32 * 1024;
/** Items of one send opened by its first request; the same bound as a person choosing files in one go would need. */
export const MAX_RESERVE = 64;
const LENGTHS = /^(\d{1,6}),(\d{1,10}),(\d{1,10})$/;
/** The secret a source's page makes for each upload: 256 random bits, hex (the server keeps its hash). Every upload route checks it with this. */
export const SECRET = /^[0-9a-f]{64}$/;

export type SendLengths = { head: number; part: number; manifest: number; total: number };
export type Registration = { login: string; publicKey: string; privateKey: string; desk?: unknown };
export type SendHead = { parts: number; register: Registration | null; reserve: { secret: string; parts: number }[] };

const unreadable = () => new HttpError(400, said('error.unreadable', { status: 400 }));

/** "head,part,manifest" in bytes; with limits given (before the body is read), each is checked against its own. */
export function sendLengths(req: Request, partLimit = Infinity, manifestLimit = Infinity): SendLengths {
  const m = LENGTHS.exec(req.get(LENGTHS_HEADER) ?? '');
  if (!m) throw unreadable();
  const [head, part, manifest] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // A head shorter than "{}" is malformed, not too large.
  if (head < 2) throw unreadable();
  if (head > HEAD_MAX || part > partLimit || manifest > manifestLimit) throw new HttpError(413, said('error.objectTooLarge'));
  if (part + manifest === 0) throw new HttpError(400, said('error.emptyUpload'));
  const total = head + part + manifest;
  // No chunked bodies: the whole length is known, and it is exactly the pieces'.
  if (req.get('transfer-encoding') !== undefined || req.get('content-length') !== String(total)) throw unreadable();
  return { head, part, manifest, total };
}

const whole = (v: unknown, min: number, max: number): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw unreadable();
  return v;
};

const exactly = (v: unknown, fields: readonly string[], required: readonly string[]): Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw unreadable();
  const keys = Object.keys(v);
  if (keys.some((k) => !fields.includes(k)) || required.some((k) => !keys.includes(k))) throw unreadable();
  return v as Record<string, unknown>;
};

const text = (v: unknown, max: number): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw unreadable();
  return v;
};

function registration(v: unknown): Registration | null {
  if (v === undefined) return null;
  const r = exactly(v, ['login', 'publicKey', 'privateKey', 'desk'], ['login', 'publicKey', 'privateKey']);
  if (!isLoginSecret(r.login)) throw new HttpError(400, said('error.loginSecret'));
  return { login: r.login, publicKey: text(r.publicKey, 8000), privateKey: text(r.privateKey, 8000), desk: r.desk };
}

function reserved(v: unknown, maxParts: number, own: string): { secret: string; parts: number }[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_RESERVE) throw unreadable();
  const items = v.map((x) => {
    const r = exactly(x, ['secret', 'parts'], ['secret', 'parts']);
    if (typeof r.secret !== 'string' || !SECRET.test(r.secret)) throw unreadable();
    return { secret: r.secret, parts: whole(r.parts, 1, maxParts) };
  });
  // Each item once, and never the request's own: one secret names one submission.
  if (new Set([own, ...items.map((i) => i.secret)]).size !== items.length + 1) throw unreadable();
  return items;
}

const PART = /^(?:0|[1-9]\d{0,5})$/;

/** The part a request carries, from its path (/api/sends/:n): 0 when it carries none (the manifest alone). */
export function sendPart(req: Request): number {
  const n = req.params.n;
  if (typeof n !== 'string' || !PART.test(n)) throw new HttpError(400, said('error.partNumber'));
  return Number(n);
}

/** The head: {parts, register?, reserve?}. */
export function sendHead(bytes: Uint8Array, maxParts: number, secret: string): SendHead {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw unreadable();
  }
  const h = exactly(value, ['parts', 'register', 'reserve'], ['parts']);
  return { parts: whole(h.parts, 1, maxParts), register: registration(h.register), reserve: reserved(h.reserve, maxParts, secret) };
}
