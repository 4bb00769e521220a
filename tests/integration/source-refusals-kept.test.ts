import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { codenameDigits } from '../../common/codename.ts';
import { startInstance, startWithJournalist, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { onceIn, postForm, postSend, typedMessageIn } from '../helpers/raw-form.ts';

// Issue 25: a no-JavaScript form refused because the drop is not open, busy or full (503, 507) comes
// back as the form, the reason above it and what the source typed still in it, as the 4xx refusals do.
const MESSAGE = 'Please read this <first> & call me.';
const escaped = 'Please read this &lt;first&gt; &amp; call me.';
const start = async (instance: Instance) => (await fetch(`${instance.sourceUrl}/`)).text();

/** A send comes back as the form with the reason and the message, and nothing is stored. */
async function sendKeepsMessage(instance: Instance, status: number, reason: string): Promise<void> {
  const answer = await postSend(instance.sourceUrl, { once: onceIn(await start(instance)), message: MESSAGE, files: [{ name: 'a.txt', bytes: 'hello' }] });
  expect(answer.status).toBe(status);
  expect(answer.html).toContain('id="refused"');
  expect(answer.html).toContain(reason);
  expect(typedMessageIn(answer.html)).toBe(escaped);
  expect(onceIn(answer.html)).not.toBe(''); // a new token: the form can be sent again as it is
  expect(instance.rows().submissions).toEqual([]);
}

/** "Get my codename first" comes back as the start page's forms with the reason, and no source is made. */
async function codenameFirstComesBack(instance: Instance, status: number): Promise<void> {
  const answer = await postForm(`${instance.sourceUrl}/codename`, { once: onceIn(await start(instance)) });
  expect(answer.status).toBe(status);
  expect(answer.html).toContain('id="refused"');
  expect(answer.html).toContain('action="/codename"');
  expect(typedMessageIn(answer.html)).toBe('');
  expect(instance.rows().sources).toEqual([]);
}

describe('not open yet (no journalist key): 503', () => {
  let closed: Instance;
  beforeAll(async () => void (closed = await startInstance()));
  afterAll(() => closed?.stop());
  test('a send keeps its message', () => sendKeepsMessage(closed, 503, 'Submissions are not open: no journalist key is set up.'));
  test('"Get my codename first" comes back as the start page', () => codenameFirstComesBack(closed, 503));
});

describe('the server is low on disk: 507', () => {
  let full: Instance;
  beforeAll(async () => {
    full = await startInstance({ SEALDROP_MIN_FREE_MIB: String(1024 * 1024) });
    await full.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  });
  afterAll(() => full?.stop());
  test('a send keeps its message', () => sendKeepsMessage(full, 507, 'out of storage space'));
  test('"Get my codename first" comes back as the start page', () => codenameFirstComesBack(full, 507));
});

describe('a codename made before the 60 words were replaced (common/WORDLIST.md)', () => {
  let instance: Instance;
  beforeAll(async () => void ({ instance } = await startWithJournalist()));
  afterAll(() => instance?.stop());

  test('logs in without JavaScript written as digits, whose excluded words now read first as added words', async () => {
    const old = 'crazy abacus zoom nerd dispute uncurled tribesman';
    await registerApiSource(instance.sourceUrl, old);
    const asDigits = await postForm(`${instance.sourceUrl}/login`, { codename: codenameDigits(old) });
    expect(asDigits.status).toBe(200);
    expect(asDigits.cookie).not.toBe('');
    const asWords = await postForm(`${instance.sourceUrl}/login`, { codename: old });
    expect(asWords.status).toBe(200);
  });
});
