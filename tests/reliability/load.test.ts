import { afterAll, expect, test } from 'vitest';
import { prepareLoad, runLoad } from '../helpers/load.ts';
import { logLeaks, storedIdentifiers } from '../helpers/log-scan.ts';

// 200 sources at once for 60 s on loopback (bounded: every client stops at the deadline), mixing
// JS-path uploads, no-JS uploads and codename logins, while a journalist reloads the inbox.
// LOAD_SECONDS and LOAD_CLIENTS change the run; `npm run bench` reports the same figures.
// README promises 0 errors and 0 retries under this load: every 5xx (a queue's "busy" 503
// included) and every retry counts, even one a later attempt made good.
const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const CLIENTS = Number(process.env.LOAD_CLIENTS ?? 200);
let cleanup: (() => Promise<void>) | null = null;
afterAll(() => cleanup?.());

test(`${CLIENTS} sources at once for ${SECONDS} s: not one 5xx, retry or error, memory bounded, the inbox answers within a second throughout, nothing identifying logged`, async () => {
  const from = Date.now();
  const prepared = await prepareLoad(CLIENTS, SECONDS);
  cleanup = prepared.cleanup;
  const banner = prepared.stdout();
  const figures = await runLoad(prepared.options);
  const { identifiers, ...shown } = figures;
  console.log(JSON.stringify({ name: 'load', ...shown }));
  const failures = { serverErrors: figures.serverErrors, retries: figures.retries, errors: figures.errors };
  expect(failures, `${JSON.stringify(figures.unexpected)} ${figures.errorSamples.join('; ')}`).toEqual({ serverErrors: 0, retries: 0, errors: 0 });
  expect(figures.seconds).toBeLessThan(SECONDS + 30); // self-stopping
  expect(figures.actions.jsUploads).toBeGreaterThan(CLIENTS);
  expect(figures.actions.noScriptUploads).toBeGreaterThan(CLIENTS / 4);
  expect(figures.actions.codenameLogins).toBeGreaterThanOrEqual(figures.actions.jsUploads + figures.actions.noScriptUploads);
  expect(figures.inbox.loads).toBeGreaterThan(SECONDS);
  expect(figures.inbox.maxMs).toBeLessThan(1000);
  expect(figures.serverRssMiB.peak).toBeLessThan(768);
  // What the server logged meanwhile (stderr): JSON lines of known events, none holding an
  // address, a name, a path, an id, a codename or a time; and nothing on stdout past its banner.
  expect(prepared.stderr()).toMatch(/"event":"started"/);
  const known = [...prepared.secrets, ...identifiers, ...storedIdentifiers(prepared.dataDir)];
  expect(logLeaks(prepared.stderr(), known, from)).toEqual([]);
  expect(prepared.stdout()).toBe(banner);
}, 240_000);
