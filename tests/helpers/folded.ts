// A folded send (POST /api/sends) as the page makes it, with every piece open to a test's tampering.
import { randomBytes } from 'node:crypto';

export type FoldedRequest = {
  secret?: string;
  head: Record<string, unknown>;
  part?: Uint8Array | null;
  manifest?: Uint8Array | null;
  token?: string;
  /** Declared lengths and Content-Length, when a test lies about them. */
  lengths?: string;
  /** Fields added to the head as sent (the helper takes `n` out of it, for the path). */
  extraHead?: Record<string, unknown>;
  /** Bytes after the pieces (or cut from them, negative). */
  extra?: number;
};

export const newSecret = () => randomBytes(32).toString('hex');

/** A folded request as the page makes it (POST /api/sends/:n): the head (JSON), the part and the manifest in one body, their lengths in X-Send-Lengths. */
export function foldedRequest(r: { n: number | string; head: Record<string, unknown> | string; part?: Uint8Array | null; manifest?: Uint8Array | null; secret?: string; token?: string }): { path: string; headers: Record<string, string>; body: Buffer<ArrayBuffer>; lengths: string } {
  // Views, not copies: the bench sends many large parts at once, and concat copies them once anyway.
  const view = (b: Uint8Array | null | undefined) => (b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : Buffer.alloc(0));
  const pieces = [Buffer.from(typeof r.head === 'string' ? r.head : JSON.stringify(r.head)), view(r.part), view(r.manifest)];
  const lengths = pieces.map((p) => p.length).join(',');
  const headers: Record<string, string> = {
    'content-type': 'application/octet-stream',
    'x-send-lengths': lengths,
    ...(r.secret === undefined ? {} : { 'x-upload-secret': r.secret }),
    ...(r.token ? { 'x-source-token': r.token } : {}),
  };
  return { path: `/api/sends/${String(r.n)}`, headers, body: Buffer.concat(pieces), lengths };
}

export async function folded(sourceUrl: string, r: FoldedRequest): Promise<{ status: number; body: Record<string, unknown> }> {
  // The part number goes in the path (/api/sends/:n); tests give it in the head, as `n`.
  const { n = r.part ? 1 : 0, ...head } = r.head;
  const request = foldedRequest({ ...r, n: n as number | string, head: typeof r.head === 'string' ? r.head : { ...head, ...r.extraHead } });
  let body: Buffer<ArrayBuffer> = request.body;
  if (r.extra && r.extra > 0) body = Buffer.concat([body, Buffer.alloc(r.extra)]);
  if (r.extra && r.extra < 0) body = body.subarray(0, body.length + r.extra);
  const headers = { ...request.headers, 'x-send-lengths': r.lengths ?? request.lengths };
  const res = await fetch(`${sourceUrl}${request.path}`, { method: 'POST', headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed };
}

export async function held(sourceUrl: string, secret: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${sourceUrl}/api/sends`, { headers: { 'x-upload-secret': secret } });
  return { status: res.status, body: await res.json() };
}

/** A folded request read off the wire (its HTTP head and body): the head JSON, the part and the manifest, split by X-Send-Lengths. */
export function foldedPieces(httpHead: string, body: Buffer): { head: Record<string, unknown>; part: Buffer | null; manifest: Buffer | null } {
  const [h, p, m] = (/\r\nx-send-lengths: *(\d+),(\d+),(\d+)/i.exec(httpHead) ?? []).slice(1).map(Number) as [number, number, number];
  return { head: JSON.parse(body.subarray(0, h).toString('utf8')) as Record<string, unknown>, part: p ? body.subarray(h, h + p) : null, manifest: m ? body.subarray(h + p, h + p + m) : null };
}
