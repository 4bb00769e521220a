import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, type PublicKey } from '../../common/envelope/index.ts';
import { setLogSink } from '../../server/log/index.ts';
import { noticeText } from '../../server/notify/notice.ts';
import { today } from '../../server/store/day.ts';
import { openStore } from '../../server/store/index.ts';
import { serve } from '../../server/serve.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { logLeaks } from '../helpers/log-scan.ts';
import { readMail, sendThroughApi, startHookReceiver, type HookReceiver } from '../helpers/notices.ts';
import { until } from '../helpers/pages.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { registerApiSource } from '../helpers/sources.ts';

// Notices of new material against a real SMTP server process (python3-aiosmtpd) and a real HTTP
// receiver: one notice per window, in the next window, saying nothing but "something new, log in here".
const PART = 64 * 1024;
const FROM = 'drop@newsroom.example';
const env = (sink: SmtpSink, extra: Record<string, string> = {}) => ({ SEALDROP_SMTP_URL: `smtp://${sink.host}:${sink.port}`, SEALDROP_NOTIFY_FROM: FROM, SEALDROP_PART_SIZE: String(PART), ...extra });
const key = async (armored: string) => (await readJournalistKey(armored)).key;
const addWith = (instance: Instance, username: string, publicKey: string) => instance.addJournalist(username, publicKey).then(() => instance.store.journalists.get(username));

/** A no-JavaScript send of one file and a message, as a browser posts the form (as a returning source: its session cookie). */
async function sendWithoutScript(sourceUrl: string, token: string, name: string, data: Buffer): Promise<number> {
  const b = 'notice-test-boundary';
  const body = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n`), data,
    Buffer.from(`\r\n--${b}\r\nContent-Disposition: form-data; name="message"\r\n\r\nThe ledger is on page 9.\r\n--${b}--\r\n`),
  ]);
  const headers = { 'content-type': `multipart/form-data; boundary=${b}`, cookie: `__Host-sealdrop-source=${token}` };
  return (await fetch(`${sourceUrl}/submit`, { method: 'POST', headers, body, redirect: 'manual' })).status;
}

describe('arrivals in one window', () => {
  const W = 5000;
  let sink: SmtpSink;
  let hook: HookReceiver;
  let instance: Instance;
  let ana: GpgHome;
  /** When the first window began, read from the clock the windows are counted on. */
  let start0 = 0;
  const now = () => {
    const t = Date.now();
    start0 ||= t;
    return t;
  };
  let k = 0;
  let lastArrival = 0;
  const windowOf = (t: number) => Math.floor((t - start0) / W);
  const names = ['Ministry-Budget-2026-03-14 draft.pdf', 'minutes_of_14_march.pdf', 'Übersicht Q3.pdf', 'ledger-nojs.pdf'];

  beforeAll(async () => {
    [sink, hook, ana] = await Promise.all([startSmtpSink(), startHookReceiver(), makeGpgHome('ana')]);
    const jo = await generateKeyPair({ name: 'Jo' });
    const bo = await generateKeyPair({ name: 'Bo' });
    const anaKey = await readFile(ana.publicKeyFile, 'utf8');
    instance = await startInstance(env(sink, { SEALDROP_NOTIFY_WEBHOOK: hook.url }), { notices: { windowMs: W, now } });
    const j = await addWith(instance, 'jo', jo.publicKey);
    const a = await addWith(instance, 'ana', anaKey);
    await addWith(instance, 'bo', bo.publicKey); // never opted in
    const cy = await addWith(instance, 'cy', (await generateKeyPair({ name: 'Cy' })).publicKey);
    instance.store.journalists.setNotify(cy.id, { email: 'cy@newsroom.example', encrypt: false });
    instance.store.journalists.setActive(cy.id, false); // opted in, then disabled: told nothing
    instance.store.journalists.setNotify(j.id, { email: 'jo@newsroom.example', encrypt: false });
    instance.store.journalists.setNotify(a.id, { email: 'ana@newsroom.example', encrypt: true });
    const recipients: PublicKey[] = await Promise.all([jo.publicKey, anaKey, bo.publicKey].map(key));
    const { token } = await registerApiSource(instance.sourceUrl);
    // Four arrivals at once, just after a window begins: three with JavaScript, one without.
    k = windowOf(Date.now()) + 1;
    await new Promise((r) => setTimeout(r, start0 + k * W + 50 - Date.now()));
    const sends = [
      ...names.slice(0, 3).map((name) => sendThroughApi(instance.sourceUrl, token, recipients, name, randomBytes(3000), PART).then(() => 204)),
      sendWithoutScript(instance.sourceUrl, token, names[3]!, randomBytes(5000)),
    ];
    expect(await Promise.all(sends)).toEqual([204, 204, 204, 303]);
    lastArrival = Date.now();
  });
  afterAll(async () => {
    await instance?.stop();
    await Promise.all([sink?.stop(), hook?.stop(), ana?.cleanup()]);
  });

  test('four arrivals give one notice per channel, at a moment within the next window', async () => {
    expect(windowOf(lastArrival), 'the sends took longer than their window; the test cannot tell windows apart').toBe(k);
    await until(async () => hook.posts.length >= 1 && (await sink.messages()).length >= 2, 3 * W, 'the notices');
    // Until window k+1 is over: nothing more may come, as nothing arrived after window k.
    await new Promise((r) => setTimeout(r, Math.max(0, start0 + (k + 2) * W + 300 - Date.now())));
    expect(hook.posts).toHaveLength(1);
    const mails = await sink.messages();
    expect(mails.map((m) => m.to).sort()).toEqual([['ana@newsroom.example'], ['jo@newsroom.example']]);
    for (const m of mails) expect(m.from).toBe(FROM);
    // Not at once: in the next window (delivery itself may take a moment under load).
    expect(windowOf(hook.posts[0]!.at)).toBeGreaterThanOrEqual(k + 1);
    expect(windowOf(hook.posts[0]!.at)).toBeLessThanOrEqual(k + 2);
  });

  test('only active journalists who opted in are mailed', async () => {
    const to = (await sink.messages()).flatMap((m) => m.to);
    expect(to).not.toContain('bo@newsroom.example');
    expect(to).not.toContain('cy@newsroom.example');
    expect(to.sort()).toEqual(['ana@newsroom.example', 'jo@newsroom.example']);
  });

  test('the webhook gets {"text": …} and the plain mail the same words: something new, and where to log in', async () => {
    const expected = noticeText(`${instance.journalistUrl}/`);
    expect(hook.posts[0]!.method).toBe('POST');
    expect(hook.posts[0]!.type).toBe('application/json');
    expect(JSON.parse(hook.posts[0]!.body)).toEqual({ text: expected.text });
    const jo = readMail((await sink.messages()).find((m) => m.to[0] === 'jo@newsroom.example')!.data);
    expect(jo.body).toBe(expected.text);
    expect(jo.headers.subject).toBe(expected.subject);
    expect(jo.headers.from).toBe(FROM);
  });

  test('nothing in any notice names or dates what arrived', async () => {
    const rows = instance.rows() as { sources: { id: string; designation: string }[]; submissions: { id: string; size: number }[] };
    const identifying = [
      ...rows.sources.flatMap((s) => [s.id, s.designation, ...s.designation.split(/\W+/).filter((w) => w.length > 3)]),
      ...rows.submissions.flatMap((s) => [s.id, String(s.size)]),
      ...names, ...names.map((n) => n.replace(/\.pdf$/, '')), 'message.txt', 'ledger', 'page 9',
      today(), today().replaceAll('-', ''), new Date(lastArrival).toISOString().slice(11, 16),
    ];
    const url = `${instance.journalistUrl}/`;
    // The encrypted mail's words are checked once decrypted (below): the same text as these.
    const plain = (await sink.messages()).map((m) => readMail(m.data)).flatMap((m) => [m.body, m.headers.subject!]).filter((b) => !b.startsWith('-----BEGIN PGP MESSAGE-----'));
    const bodies = [JSON.parse(hook.posts[0]!.body).text as string, ...plain];
    expect(bodies).toHaveLength(4);
    for (const body of bodies) {
      for (const s of identifying) expect(body.toLowerCase(), s).not.toContain(s.toLowerCase());
      // Past the login address, not one digit: no count, size, id, day or time of day.
      expect(body.replaceAll(url, '')).not.toMatch(/[0-9٠-٩０-９]/);
    }
  });

  test('the encrypted mail is armoured OpenPGP that gpg decrypts to the notice', async () => {
    const mail = readMail((await sink.messages()).find((m) => m.to[0] === 'ana@newsroom.example')!.data);
    expect(mail.body).toMatch(/^-----BEGIN PGP MESSAGE-----\n[\s\S]+\n-----END PGP MESSAGE-----$/);
    expect(mail.body).not.toContain('Log in');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-notice-'));
    try {
      await writeFile(path.join(dir, 'notice.asc'), mail.body);
      expect((await ana.decrypt(path.join(dir, 'notice.asc'))).toString('utf8')).toBe(noticeText(`${instance.journalistUrl}/`).text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('a notice owed when the server stops goes out at a random moment of the first window after it starts again', async () => {
  const sink = await startSmtpSink();
  const pair = await generateKeyPair({ name: 'Jo' });
  // A window far longer than the test: nothing goes out before the stop.
  const instance = await startInstance(env(sink, { SEALDROP_NOTIFY_SUBJECT: 'Rota reminder' }), { notices: { windowMs: 3_600_000 } });
  const jo = await addWith(instance, 'jo', pair.publicKey);
  instance.store.journalists.setNotify(jo.id, { email: 'jo@newsroom.example', encrypt: false });
  const { token } = await registerApiSource(instance.sourceUrl);
  // Without JavaScript this time: that path marks the window too.
  expect(await sendWithoutScript(instance.sourceUrl, token, 'a.pdf', randomBytes(100))).toBe(303);
  await instance.running.close();
  expect(instance.store.settings.newsPending()).toBe(true);
  expect((instance.rows().settings as { name: string }[]).filter((r) => r.name.startsWith('notify'))).toEqual([{ name: 'notify_pending', value: '1' }]); // a flag: no time, no count
  instance.store.close();
  const store = openStore(instance.config.dataDir);
  const running = await serve(instance.config, store, { notices: { windowMs: 2000 } });
  try {
    await until(async () => (await sink.messages()).length === 1, 10_000, 'the notice after the restart');
    expect((await sink.messages())[0]!.to).toEqual(['jo@newsroom.example']);
    expect(readMail((await sink.messages())[0]!.data).headers.subject).toBe('Rota reminder'); // SEALDROP_NOTIFY_SUBJECT
    await until(() => !store.settings.newsPending(), 5000, 'the flag to be cleared');
  } finally {
    await running.close();
    store.close();
    await rm(instance.config.dataDir, { recursive: true, force: true });
    await sink.stop();
  }
});

test('with a relay set and nobody asking for mail, an arrival is not noted: no flag, no notice, no log line', async () => {
  const sink = await startSmtpSink();
  const lines: string[] = [];
  const restore = setLogSink((line) => lines.push(line));
  const W = 1500;
  const instance = await startInstance(env(sink), { notices: { windowMs: W } });
  try {
    const pair = await generateKeyPair({ name: 'Jo' });
    await addWith(instance, 'jo', pair.publicKey); // never opted in
    const { token } = await registerApiSource(instance.sourceUrl);
    await sendThroughApi(instance.sourceUrl, token, [await key(pair.publicKey)], 'a.pdf', randomBytes(100), PART);
    // The flag would be written on the turn after the completion's answer: one more request is past it.
    expect((await fetch(`${instance.sourceUrl}/`)).status).toBe(200);
    expect(instance.store.settings.newsPending()).toBe(false);
    expect((instance.rows().settings as { name: string }[]).filter((r) => r.name.startsWith('notify'))).toEqual([]);
    // Past the window in which a notice would have gone: still nothing.
    await new Promise((r) => setTimeout(r, 2 * W + 300));
    expect(lines.map((l) => JSON.parse(l).event).filter((e: string) => e.startsWith('notice'))).toEqual([]);
    expect(await sink.messages()).toEqual([]);
  } finally {
    setLogSink(restore);
    await instance.stop();
    await sink.stop();
  }
});

describe('a relay that fails', () => {
  const W = 2000;
  let lines: string[] = [];
  let restore: (line: string) => void;
  beforeAll(() => {
    restore = setLogSink((line) => lines.push(line));
  });
  beforeEach(() => void (lines = []));
  afterAll(() => void setLogSink(restore));

  test('is retried with backoff, logged without addresses, and never fails the upload', async () => {
    const sink = await startSmtpSink({ failFirst: 2 });
    const hook = await startHookReceiver();
    hook.failNext(1);
    const pair = await generateKeyPair({ name: 'Jo' });
    const from = Date.now();
    const instance = await startInstance(env(sink, { SEALDROP_NOTIFY_WEBHOOK: hook.url }), { notices: { windowMs: W } });
    try {
      const jo = await addWith(instance, 'jo', pair.publicKey);
      instance.store.journalists.setNotify(jo.id, { email: 'jo@newsroom.example', encrypt: false });
      const { token } = await registerApiSource(instance.sourceUrl);
      // Resolves only on a 204 for the completion.
      await sendThroughApi(instance.sourceUrl, token, [await key(pair.publicKey)], 'a.pdf', randomBytes(100), PART);
      await until(async () => (await sink.messages()).length === 1 && hook.posts.length === 1, 4 * W, 'the retried notices');
      expect([await sink.refused(), hook.refusals()], 'the relay refused twice, the webhook once').toEqual([2, 1]);
      // Retries that succeed leave nothing in the log: a line would date the window of an arrival.
      expect(lines.map((l) => JSON.parse(l).event).filter((e: string) => e.startsWith('notice'))).toEqual([]);
      expect(logLeaks(lines.join('\n'), ['jo@newsroom.example', FROM, 'newsroom.example', hook.url, String(sink.port)], from)).toEqual([]);
    } finally {
      await instance.stop();
      await Promise.all([sink.stop(), hook.stop()]);
    }
  });

  const elsewhere = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  test.skipIf(!elsewhere)('plain SMTP never leaves the machine: a relay elsewhere without STARTTLS gets nothing', async () => {
    const sink = await startSmtpSink({ host: elsewhere! });
    const pair = await generateKeyPair({ name: 'Jo' });
    const instance = await startInstance(env(sink), { notices: { windowMs: W } });
    try {
      const jo = await addWith(instance, 'jo', pair.publicKey);
      instance.store.journalists.setNotify(jo.id, { email: 'jo@newsroom.example', encrypt: false });
      const { token } = await registerApiSource(instance.sourceUrl);
      await sendThroughApi(instance.sourceUrl, token, [await key(pair.publicKey)], 'a.pdf', randomBytes(100), PART);
      const failed = () => lines.map((l) => JSON.parse(l)).filter((e) => e.event === 'notice_failed');
      await until(() => failed().length > 0, 6 * W, 'the notice to be given up');
      expect(await sink.messages()).toEqual([]);
      // One line for the channel given up, with the last error's code; none for the tries before it.
      expect(failed()).toEqual([{ level: 'error', event: 'notice_failed', channel: 'mail', attempts: expect.any(Number), error: 'ETLS' }]);
      expect(failed()[0].attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await instance.stop();
      await sink.stop();
    }
  });
});
