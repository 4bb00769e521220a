import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, generateSourceKeyPair } from '../../common/envelope/index.ts';
import { deriveSourceSecrets, generateCodename } from '../../common/codename.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Threat: a few cheap loops of wrong codenames (behind Tor every source shares one address) keep
// every real source from registering or logging in, on either path.
const LOOPS = 8;
// What is claimed is a wall-clock time: a real source is answered while the flood goes on (a starved
// one waits out the gate's 30 s and is refused). Measured in a full suite run on 2 cores: register
// 41 ms, JS login 9 ms, no-JS submit 4.7 s, no-JS login 3.3 s; the bound is four times the slowest.
const BOUND_MS = 20_000;
const BOUNDARY = 'starvation-boundary';
let instance: Instance;

beforeAll(async () => {
  instance = await startInstance();
  const pair = await generateKeyPair({ name: 'Jo' });
  await instance.addJournalist('jo', pair.publicKey);
});
afterAll(() => instance?.stop());

const api = (p: string, body: unknown) => fetch(`${instance.sourceUrl}/api${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const noScriptLogin = (codename: string) =>
  fetch(`${instance.sourceUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ codename }) });
const noScriptMessage = (text: string) =>
  fetch(`${instance.sourceUrl}/submit`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\n${text}\r\n--${BOUNDARY}--\r\n`,
  });

/** Wrong codenames on both login paths, one request at a time per loop, until stopped. */
function attack() {
  let running = true;
  const statuses: number[] = [];
  const loop = async (send: () => Promise<Response>) => {
    while (running) {
      const res = await send();
      await res.arrayBuffer();
      statuses.push(res.status);
    }
  };
  const loops = [
    ...Array.from({ length: LOOPS }, () => loop(() => api('/sources/login', { login: randomBytes(32).toString('hex') }))),
    ...Array.from({ length: LOOPS }, () => loop(() => noScriptLogin(generateCodename()))),
  ];
  return {
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  const value = await work();
  return { value, ms: Date.now() - started };
}

test(`under ${LOOPS}+${LOOPS} loops of wrong codenames a real source registers and logs in on both paths`, async () => {
  // Everything the page does on the device is done before the attack: only the server's answers are timed.
  const salt = ((await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(generateCodename(), salt);
  const keys = await generateSourceKeyPair({ passphrase: keyPassphrase });

  const flood = attack();
  await new Promise((r) => setTimeout(r, 1500)); // let the loops fill whatever they can
  try {
    const register = await timed(() => api('/sources', { login: loginSecret, publicKey: keys.publicKey, privateKey: keys.privateKey }));
    expect(register.value.status).toBe(201);
    expect(register.ms).toBeLessThan(BOUND_MS);

    const login = await timed(() => api('/sources/login', { login: loginSecret }));
    expect(login.value.status).toBe(200);
    expect(login.ms).toBeLessThan(BOUND_MS);

    const submit = await timed(() => noScriptMessage('sent while someone hammers the login'));
    const page = await submit.value.text();
    expect(submit.value.status).toBe(200);
    expect(submit.ms).toBeLessThan(BOUND_MS);
    const codename = /<p class="codename" id="codename" dir="ltr">([^<]+)<\/p>/.exec(page)?.[1];
    expect(codename).toBeDefined();

    const noScript = await timed(() => noScriptLogin(codename!));
    expect(noScript.value.status).toBe(200);
    expect(await noScript.value.text()).toContain('Your conversation');
    expect(noScript.ms).toBeLessThan(BOUND_MS);
    console.log(`under attack: register ${register.ms} ms, JS login ${login.ms} ms, no-JS submit ${submit.ms} ms, no-JS login ${noScript.ms} ms`);
  } finally {
    await flood.stop();
  }
  // The wrong codenames were all answered as wrong (or, past the queue, busy): never a server fault.
  expect(flood.statuses.length).toBeGreaterThan(0);
  expect(flood.statuses.every((s) => s === 401 || s === 503)).toBe(true);
});
