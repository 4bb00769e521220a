import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { padBody, sizeClass } from '../../../server/http/padding.ts';
import { languageCookie } from '../../../server/i18n/cookie.ts';
import { onTheWire } from '../../helpers/wire.ts';

test('size classes: 512-byte steps to 8 KiB, then an eighth of the power of two below, never more than 12.5% above 4 KiB', () => {
  expect([1, 512, 513, 4097, 8191, 8193, 16_385, 40_000].map(sizeClass)).toEqual([512, 512, 1024, 4608, 8192, 9216, 18_432, 40_960]);
  for (let n = 4096; n < 300_000; n += 997) {
    expect(sizeClass(n)).toBeGreaterThanOrEqual(n);
    expect(sizeClass(n) / n).toBeLessThanOrEqual(1.125);
  }
});

// The language headers and Content-Length's own digits count: where the padded body crosses a
// power of ten (9,999 to 10,000 bytes), a one-byte difference in the head must not show either.
let server: http.Server;
let base: string;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams;
    const tag = q.get('tag')!;
    res.setHeader('Content-Language', tag);
    res.setHeader('X-Filler', 'f'.repeat(Number(q.get('filler'))));
    if (q.get('cookie')) res.setHeader('Set-Cookie', languageCookie(tag, q.get('cookie') === 'secure'));
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    const body = padBody(res, 'x'.repeat(Number(q.get('own'))), Number(q.get('longest')));
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

test('the whole response is the same length, to the byte, whatever the language headers, across a power of ten', async () => {
  const variants = [['en', ''], ['zh-Hans', ''], ['ug', 'plain'], ['zh-Hant', 'secure']] as const;
  const longest = 9_000;
  const bodies = new Set<number>();
  // A head that grows byte by byte moves the padded body (about 10,240 bytes less the head) through 10,000.
  for (let filler = 1; filler <= 400; filler += 3) {
    const wires = await Promise.all(variants.map(([tag, cookie], i) => onTheWire(base, { path: `/?tag=${tag}&cookie=${cookie}&own=${longest - i * 50}&longest=${longest}&filler=${filler}` })));
    const totals = wires.map((w) => w.total);
    expect(totals, `filler ${filler}: ${totals.join(' ')}`).toEqual(totals.map(() => totals[0]));
    for (const w of wires) bodies.add(w.body.length);
    expect(Math.min(...wires.map((w) => w.body.length))).toBeGreaterThanOrEqual(longest);
  }
  expect(Math.min(...bodies)).toBeLessThan(10_000);
  expect(Math.max(...bodies)).toBeGreaterThanOrEqual(10_000);
});
