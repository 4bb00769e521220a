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

describe('not open yet (no journalist key): 503', () => {
  let closed: Instance;
  beforeAll(async () => void (closed = await startInstance()));
  afterAll(() => closed?.stop());

  test('a send comes back as the form with the reason and the message, and nothing is stored', async () => {
    const answer = await postSend(closed.sourceUrl, { once: onceIn(await start(closed)), message: MESSAGE, files: [{ name: 'a.txt', bytes: 'hello' }] });
    expect(answer.status).toBe(503);
    expect(answer.html).toContain('id="refused"');
    expect(answer.html).toContain('Submissions are not open: no journalist key is set up.');
    expect(typedMessageIn(answer.html)).toBe(escaped);
    expect(onceIn(answer.html)).not.toBe(''); // a new token: the form can be sent again as it is
    expect(closed.rows().submissions).toEqual([]);
  });

  test('"Get my codename first" comes back as the start page\'s forms with the reason, and no source is made', async () => {
    const answer = await postForm(`${closed.sourceUrl}/codename`, { once: onceIn(await start(closed)) });
    expect(answer.status).toBe(503);
    expect(answer.html).toContain('id="refused"');
    expect(answer.html).toContain('action="/codename"');
    expect(typedMessageIn(answer.html)).toBe('');
    expect(closed.rows().sources).toEqual([]);
  });
});

describe('the server is low on disk: 507', () => {
  let full: Instance;
  beforeAll(async () => {
    full = await startInstance({ SEALDROP_MIN_FREE_MIB: String(1024 * 1024) });
    await full.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  });
  afterAll(() => full?.stop());

  test('a send comes back as the form with the reason and the message, and nothing is stored', async () => {
    const answer = await postSend(full.sourceUrl, { once: onceIn(await start(full)), message: MESSAGE, files: [{ name: 'a.txt', bytes: 'hello' }] });
    expect(answer.status).toBe(507);
    expect(answer.html).toContain('id="refused"');
    expect(answer.html).toContain('out of storage space');
    expect(typedMessageIn(answer.html)).toBe(escaped);
    expect(full.rows().submissions).toEqual([]);
  });

  test('"Get my codename first" comes back as the start page\'s forms with the reason', async () => {
    const answer = await postForm(`${full.sourceUrl}/codename`, { once: onceIn(await start(full)) });
    expect(answer.status).toBe(507);
    expect(answer.html).toContain('id="refused"');
    expect(answer.html).toContain('action="/codename"');
    expect(full.rows().sources).toEqual([]);
  });
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
