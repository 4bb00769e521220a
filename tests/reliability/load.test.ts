import { afterAll, expect, test } from 'vitest';
import { prepareLoad, runLoad } from '../helpers/load.ts';

// 200 sources at once for 60 s on loopback (bounded: every client stops at the deadline), mixing
// JS-path uploads, no-JS uploads and codename logins, while a journalist reloads the inbox.
// LOAD_SECONDS and LOAD_CLIENTS change the run; `npm run bench` reports the same figures.
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 200);
let cleanup: (() => Promise<void>) | null = null;
afterAll(() => cleanup?.());

test(`${CLIENTS} sources at once for ${SECONDS} s: no errors, memory bounded, the inbox answers within a second throughout`, async () => {
  const prepared = await prepareLoad(CLIENTS, SECONDS);
  cleanup = prepared.cleanup;
  const figures = await runLoad(prepared.options);
  console.log(JSON.stringify({ name: 'load', ...figures }));
  expect(figures.errors, figures.errorSamples.join('; ')).toBe(0);
  expect(figures.seconds).toBeLessThan(SECONDS + 30); // self-stopping
  expect(figures.actions.jsUploads).toBeGreaterThan(CLIENTS);
  expect(figures.actions.noScriptUploads).toBeGreaterThan(CLIENTS / 4);
  expect(figures.actions.codenameLogins).toBeGreaterThanOrEqual(figures.actions.jsUploads + figures.actions.noScriptUploads);
  expect(figures.inbox.loads).toBeGreaterThan(SECONDS);
  expect(figures.inbox.maxMs).toBeLessThan(1000);
  expect(figures.serverRssMiB.peak).toBeLessThan(768);
  // What the server logged meanwhile: JSON lines, none holding an address, a file name or a path.
  const lines = prepared.logLines();
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(() => JSON.parse(line)).not.toThrow();
    expect(line).not.toMatch(/127\.0\.0\.1|load\.bin|notes\.txt|\/api\/|[0-9a-f]{32}/);
  }
}, 240_000);
