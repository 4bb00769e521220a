import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import type { Desk, Journalist } from '../../server/store/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { sendThroughApi } from '../helpers/notices.ts';
import { until } from '../helpers/pages.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { registerApiSource } from '../helpers/sources.ts';

// Notices with desks (issue 23): a journalist is mailed only when something arrived that they can
// see, against a real SMTP server process (python3-aiosmtpd), as tests/integration/notify.test.ts.
const PART = 64 * 1024;
const W = 1500;
let sink: SmtpSink;
let instance: Instance;
const people: Record<string, { journalist: Journalist; publicKey: string }> = {};
const desks: Record<string, Desk> = {};

beforeAll(async () => {
  sink = await startSmtpSink();
  instance = await startInstance({ SEALDROP_SMTP_URL: `smtp://${sink.host}:${sink.port}`, SEALDROP_NOTIFY_FROM: 'drop@newsroom.example', SEALDROP_PART_SIZE: String(PART) }, { notices: { windowMs: W } });
  for (const name of ['jo', 'ana']) {
    const { publicKey } = await generateKeyPair({ name });
    await instance.addJournalist(name, publicKey);
    const journalist = instance.store.journalists.get(name);
    instance.store.journalists.setNotify(journalist.id, { email: `${name}@newsroom.example`, encrypt: false });
    people[name] = { journalist, publicKey };
  }
  desks.a = instance.store.desks.create('investigations', { en: { name: 'Investigations', description: '' } }, 'cli');
  desks.b = instance.store.desks.create('local', { en: { name: 'Local', description: '' } }, 'cli');
  instance.store.desks.addMember(desks.a.id, people.jo!.journalist.id);
  instance.store.desks.addMember(desks.b.id, people.ana!.journalist.id);
});
afterAll(async () => {
  await instance?.stop();
  await sink?.stop();
});

/** One item from a new source of `desk`, sealed to its one member; then every notice owed, and one window more. */
async function arrivalFor(desk: Desk, member: string): Promise<string[]> {
  const already = (await sink.messages()).length;
  const { token } = await registerApiSource(instance.sourceUrl, undefined, desk.id);
  await sendThroughApi(instance.sourceUrl, token, [(await readJournalistKey(people[member]!.publicKey)).key], 'a.pdf', randomBytes(100), PART);
  await until(async () => (await sink.messages()).length > already, 4 * W, 'a notice');
  // Past the window a further notice could come in: whoever is not told by then is not told.
  await new Promise((r) => setTimeout(r, 2 * W + 300));
  return (await sink.messages()).slice(already).flatMap((m) => m.to).sort();
}

test('an arrival for desk A is told to its member only; one for desk B to its own', async () => {
  expect(await arrivalFor(desks.a!, 'jo')).toEqual(['jo@newsroom.example']);
  expect(await arrivalFor(desks.b!, 'ana')).toEqual(['ana@newsroom.example']);
});
