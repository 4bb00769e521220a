import net from 'node:net';

/**
 * A TCP relay in front of the source listener that records every byte the browser sends:
 * what an observer with the server's network position would see.
 */
/** `streams`: what was sent, one buffer per connection (requests in order, to be read one by one). */
export type Sniffer = { url: string; sent(): Buffer; streams(): Buffer[]; close(): Promise<void> };

export async function startSniffer(targetPort: number): Promise<Sniffer> {
  const chunks: Buffer[] = [];
  const perConnection: Buffer[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const mine: Buffer[] = [];
    perConnection.push(mine);
    client.on('data', (d) => {
      chunks.push(Buffer.from(d));
      mine.push(Buffer.from(d));
    });
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    sent: () => Buffer.concat(chunks),
    streams: () => perConnection.map((c) => Buffer.concat(c)),
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * Whether any 64-byte window of `plaintext` occurs in `haystack`. Every such window contains a
 * whole 32-byte block aligned on a multiple of 32, so it is enough (and stricter) to look for
 * those blocks, with a rolling hash over the haystack.
 */
export function containsAnyWindow(haystack: Buffer, plaintext: Buffer, block = 32): boolean {
  const B = 257;
  const M = 1_000_000_007;
  let pow = 1;
  for (let i = 0; i < block - 1; i++) pow = (pow * B) % M;
  const hashOf = (buf: Buffer, start: number) => {
    let h = 0;
    for (let i = start; i < start + block; i++) h = (h * B + buf[i]!) % M;
    return h;
  };
  const blocks = new Map<number, number[]>();
  for (let off = 0; off + block <= plaintext.length; off += block) {
    const h = hashOf(plaintext, off);
    const list = blocks.get(h);
    if (list) list.push(off);
    else blocks.set(h, [off]);
  }
  if (haystack.length < block) return false;
  let h = hashOf(haystack, 0);
  for (let i = 0; ; i++) {
    const hits = blocks.get(h);
    if (hits?.some((off) => haystack.compare(plaintext, off, off + block, i, i + block) === 0)) return true;
    if (i + block >= haystack.length) return false;
    h = (((h - ((haystack[i]! * pow) % M) + M) % M) * B + haystack[i + block]!) % M;
  }
}

/**
 * The forms a secret can take on the wire: its bytes; hex; base64 and base64url at each of the
 * three alignments it can have inside a longer encoded text (only the characters it fully
 * decides, so a key in an armoured block or a JSON string is found wherever it starts); and the
 * decimal list JSON makes of an array of bytes.
 */
export function secretForms(secret: Uint8Array): string[] {
  const bytes = Buffer.from(secret);
  const forms = [bytes.toString('latin1'), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), [...bytes].join(',')];
  for (let k = 0; k < 3; k++) {
    const b64 = Buffer.concat([Buffer.alloc(k), bytes]).toString('base64');
    // k leading bytes leave ceil(4k/3) characters not wholly the secret's; the last three may mix with padding.
    const inner = b64.slice(Math.ceil((4 * k) / 3), -3);
    forms.push(inner, inner.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/**
 * What an observer could read in `sent`, as text: the bytes as they are, then with line breaks
 * (and JSON's escaped ones) taken out, as an armoured block wraps its lines, and with percent
 * escapes undone, as a form or a query string carries text.
 */
export function readings(sent: Buffer): string[] {
  const raw = sent.toString('latin1');
  const unbroken = (s: string) => s.replace(/\r|\n|\\r|\\n/g, '');
  const unescaped = raw.replace(/%([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return [raw, unbroken(raw), unbroken(unescaped), unescaped.replace(/\+/g, ' ')];
}

/** Which of `secrets` (by name) appear in `sent` in any form secretForms knows. */
export function secretsIn(sent: Buffer, secrets: Record<string, Uint8Array>): string[] {
  const texts = readings(sent);
  return Object.entries(secrets)
    .filter(([, secret]) => secretForms(secret).some((form) => texts.some((t) => t.includes(form))))
    .map(([name]) => name);
}
