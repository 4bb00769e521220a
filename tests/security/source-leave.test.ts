import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SourceSessions } from '../../server/auth/source-sessions.ts';
import { startWithJournalist, type Instance } from '../helpers/instance.ts';
import { leaveCsrfIn, onceIn, postForm, postSend } from '../helpers/raw-form.ts';

// Threat (issue 25): a source presses Leave, but a copy of the session cookie survives (a shared
// computer, a browser that restores it, someone who copied it): the session must be over on the
// server, not only forgotten by the browser. And the revocation set must not be a new thing a
// flood can fill.
const id = () => randomBytes(16).toString('hex');
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);
const MINUTE = 60_000;

describe('revoking a source session', () => {
  test('refuses every token of that source made until then, copies included, and no other source\'s', () => {
    const sessions = new SourceSessions();
    const [a, b] = [id(), id()];
    const first = sessions.create(a, T0);
    const otherTab = sessions.create(a, T0 + 5 * MINUTE);
    const someoneElse = sessions.create(b, T0);
    sessions.revoke(first.session, T0 + 6 * MINUTE);
    expect(sessions.get(first.token, T0 + 7 * MINUTE)).toBeNull();
    expect(sessions.get(otherTab.token, T0 + 7 * MINUTE)).toBeNull();
    expect(sessions.get(someoneElse.token, T0 + 7 * MINUTE)?.sourceId).toBe(b);
  });

  test('a login after Leave, even within the same ten minutes, gets a token that works and expires later', () => {
    const sessions = new SourceSessions();
    const a = id();
    const first = sessions.create(a, T0);
    sessions.revoke(first.session, T0 + MINUTE);
    const again = sessions.create(a, T0 + 2 * MINUTE);
    expect(again.token).not.toBe(first.token);
    expect(again.session.expires).toBeGreaterThan(first.session.expires);
    expect(sessions.get(again.token, T0 + 3 * MINUTE)?.sourceId).toBe(a);
    // Leaving again ends this one too.
    sessions.revoke(again.session, T0 + 3 * MINUTE);
    expect(sessions.get(again.token, T0 + 4 * MINUTE)).toBeNull();
  });

  test('entries go once the tokens they refuse have expired, and a flood past the bound ends every session instead of growing', () => {
    const sessions = new SourceSessions();
    for (let n = 0; n < 5000; n++) sessions.revoke(sessions.create(id(), T0).session, T0);
    expect(sessions.revokedCount).toBe(5000);
    // Three hours on, every one of those tokens has expired: the next revocations find them gone.
    const later = T0 + 3 * 60 * MINUTE;
    for (let n = 0; n < 6000; n++) sessions.revoke(sessions.create(id(), later).session, later);
    expect(sessions.revokedCount).toBe(6000); // the 5,000 expired ones went

    const flooded = new SourceSessions();
    const kept = flooded.create(id(), T0);
    for (let n = 0; n < 100_000; n++) flooded.revoke(flooded.create(id(), T0).session, T0);
    expect(flooded.revokedCount).toBe(100_000);
    const left = flooded.create(id(), T0);
    flooded.revoke(left.session, T0); // one past the bound: the key is replaced
    expect(flooded.revokedCount).toBe(0);
    expect(flooded.get(left.token, T0)).toBeNull();
    expect(flooded.get(kept.token, T0)).toBeNull(); // everyone logs in again, as after a restart
  });
});

describe('over HTTP, without JavaScript', () => {
  let instance: Instance;
  beforeAll(async () => void ({ instance } = await startWithJournalist()));
  afterAll(() => instance?.stop());

  const reserve = (token: string) =>
    fetch(`${instance.sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: 1, secret: randomBytes(32).toString('hex') }) });

  test('the cookie captured before Leave is refused after it, for sending and as a token', async () => {
    const start = await (await fetch(`${instance.sourceUrl}/`)).text();
    const sent = await postSend(instance.sourceUrl, { once: onceIn(start), message: 'First.', files: [{ name: 'a.txt', bytes: 'one' }] });
    expect(sent.status).toBe(200);
    const captured = sent.cookie; // the copy an attacker kept
    const token = captured.split('=')[1]!;
    expect(captured).not.toBe('');
    expect((await reserve(token)).status).toBe(201); // a live session before Leave

    const left = await postForm(`${instance.sourceUrl}/leave`, { csrf: leaveCsrfIn(sent.html)! }, captured);
    expect(left.status).toBe(200);
    expect(left.setCookie.join('\n')).toMatch(/Max-Age=0/);

    // Replayed: the API refuses the token, and a no-JS send with it is a new source's, not this one's.
    expect((await reserve(token)).status).toBe(401);
    const page = await (await fetch(`${instance.sourceUrl}/`, { headers: { cookie: captured } })).text();
    expect(leaveCsrfIn(page)).toBeUndefined(); // the start page no longer sees a logged-in source
    const replay = await postSend(instance.sourceUrl, { once: onceIn(page), message: 'Second, with the old cookie.', files: [{ name: 'b.txt', bytes: 'two' }], cookie: captured });
    expect(replay.status).toBe(200);
    expect(replay.html).toMatch(/<p class="codename" id="codename"/); // a new codename: nothing joined the old conversation
  });
});
