import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Threat: a response without the lockdown headers (an error page, a static file) lets a page load
// third-party resources, be framed, leak a Referer or be cached on the source's device.
let instance: Instance;
beforeAll(async () => {
  instance = await startInstance();
});
afterAll(() => instance?.stop());

function expectLockedDown(res: Response): void {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).not.toMatch(/unsafe-|\*|https?:/);
  expect(res.headers.get('referrer-policy')).toBe('same-origin');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(res.headers.get('x-powered-by')).toBeNull();
  expect(res.headers.get('etag')).toBeNull();
  expect(res.headers.get('last-modified')).toBeNull();
}

const cases: [string, string, RequestInit?][] = [
  ['the source page', '/'],
  ['a stylesheet', '/static/style.css'],
  ['the page script', '/static/js/source.js'],
  ['a 404 page', '/no/such/page'],
  ['a 404 static file', '/static/nothing.js'],
  ['an API error', '/api/submissions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }],
  ['an API 404', '/api/nothing'],
  ['a dotfile probe', '/static/.env'],
];

describe.each([['source', () => instance.sourceUrl], ['journalist', () => instance.journalistUrl]])('the %s listener', (_name, base) => {
  test.each(cases)('%s has every header', async (_label, path, init) => {
    const res = await fetch(`${base()}${path}`, init);
    expectLockedDown(res);
  });
});

// fetch percent-encodes < and >, so the raw path goes through node:http instead.
function getRaw(base: string, rawPath: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: rawPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

test('error bodies are generic and never echo the request', async () => {
  const { status, body } = await getRaw(instance.sourceUrl, '/<script>alert(1)</script>');
  expect(status).toBe(404);
  expect(body).not.toContain('<script>alert');
  expect(body).not.toMatch(/at .*\.ts:\d+/); // no stack traces
});

test('pages hold no inline script or style and load nothing from elsewhere', async () => {
  const html = await (await fetch(`${instance.sourceUrl}/`)).text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  expect(html).not.toMatch(/\sstyle=|<style/);
  expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
});
