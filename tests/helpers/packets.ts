import { spawn } from 'node:child_process';
import zlib from 'node:zlib';

// Hand-built OpenPGP framing for the tests that attack the server's packet reader. Independent of
// the reader itself on purpose: a bug shared by the reader and its tests would prove nothing.

export const TAG = { pkesk: 1, compressed: 8, marker: 10, literal: 11, trust: 12, seipd: 18, padding: 21 } as const;

export type LengthForm = 'new1' | 'new2' | 'new5' | 'old1' | 'old2' | 'old4';

const be = (n: number, bytes: number): number[] => Array.from({ length: bytes }, (_, i) => (n / 2 ** (8 * (bytes - 1 - i))) & 0xff);

/** A packet header with the given length form (old format only holds tags below 16). */
export function header(tag: number, length: number, form: LengthForm = 'new5'): Uint8Array {
  if (form.startsWith('old')) {
    const type = { old1: 0, old2: 1, old4: 2 }[form as 'old1'];
    return new Uint8Array([0x80 | (tag << 2) | type, ...be(length, [1, 2, 4][type]!)]);
  }
  if (form === 'new1') return new Uint8Array([0xc0 | tag, length]);
  if (form === 'new2' && (length < 192 || length > 8383)) throw new Error('the two-octet form holds 192 to 8383');
  if (form === 'new2') return new Uint8Array([0xc0 | tag, ((length - 192) >> 8) + 192, (length - 192) & 0xff]);
  return new Uint8Array([0xc0 | tag, 0xff, ...be(length, 4)]);
}

export function packet(tag: number, body: Uint8Array, form: LengthForm = 'new5'): Uint8Array {
  return concat(header(tag, body.length, form), body);
}

/** A new-format packet whose body is sent in partial chunks of 2^power bytes, ending definite. */
export function partialPacket(tag: number, body: Uint8Array, power: number): Uint8Array {
  const chunks: Uint8Array[] = [new Uint8Array([0xc0 | tag])];
  let at = 0;
  for (; body.length - at > 2 ** power; at += 2 ** power) chunks.push(new Uint8Array([0xe0 | power]), body.subarray(at, at + 2 ** power));
  const rest = body.subarray(at);
  chunks.push(header(0, rest.length, 'new5').subarray(1), rest);
  return concat(...chunks);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

export type SplitObject = { pkesks: Uint8Array[]; seipdBody: Uint8Array };

/** The packets of an openpgp.js object (new-format headers, definite lengths). */
export function splitObject(object: Uint8Array): SplitObject {
  const pkesks: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    const [tagByte, o1 = 0, o2 = 0] = [object[at]!, object[at + 1], object[at + 2]];
    if ((tagByte & 0xc0) !== 0xc0) throw new Error('not new-format');
    const [len, hdr] = o1 < 192 ? [o1, 2] : o1 < 224 ? [((o1 - 192) << 8) + o2 + 192, 3] : o1 === 255 ? [new DataView(object.buffer, object.byteOffset + at + 2, 4).getUint32(0), 6] : [-1, 0];
    if (len < 0) throw new Error('partial length in test input');
    const body = object.subarray(at + hdr, at + hdr + len);
    if ((tagByte & 0x3f) === TAG.seipd) return { pkesks, seipdBody: body };
    pkesks.push(object.subarray(at, at + hdr + len));
    at += hdr + len;
  }
}

/**
 * A compressed packet that inflates to `size` zero bytes through two nested ZIP layers, without
 * ever holding those bytes: every full-flushed block of zeros after the first is identical.
 */
export function nestedZlibBomb(size: number): Uint8Array {
  const chunk = 8 << 20;
  const zeros = new Uint8Array(chunk);
  const sync = { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const first = zlib.deflateRawSync(zeros, sync);
  const steady = zlib.deflateRawSync(zeros, { ...sync, dictionary: new Uint8Array(32768) });
  const inner = concat(first, ...Array<Uint8Array>(Math.max(0, size / chunk - 1)).fill(steady), zlib.deflateRawSync(new Uint8Array(0)));
  const innerPacket = packet(TAG.compressed, concat(new Uint8Array([1]), inner));
  return packet(TAG.compressed, concat(new Uint8Array([1]), zlib.deflateRawSync(innerPacket, { level: 9 })));
}


/** A compressed packet holding bzip2 of `size` zero bytes (made by the real bzip2, streamed). */
export async function bzip2Bomb(size: number): Promise<Uint8Array> {
  const child = spawn('/usr/bin/bzip2', ['-9'], { stdio: ['pipe', 'pipe', 'ignore'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  const done = new Promise((resolve, reject) => (child.on('close', resolve), child.on('error', reject)));
  const zeros = Buffer.alloc(1 << 20);
  for (let sent = 0; sent < size; sent += zeros.length) {
    if (!child.stdin.write(zeros)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  await done;
  return packet(TAG.compressed, concat(new Uint8Array([3]), ...out));
}
