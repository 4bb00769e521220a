import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import en from '../../common/i18n/catalogs/en.json' with { type: 'json' };
import type { Desk } from '../../server/store/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { BOUNDARY, postForm, rawPost } from '../helpers/raw-form.ts';

// Final review of the source side (issues 23/25): a logged-in source whose conversation is in no
// desk is not asked to choose one (their sends go to their conversation's readers whatever a form
// says), and a send refused before it is read (the disk low: 507) comes back with its desk chosen.
const part = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (bytes: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n${bytes}\r\n`;
const send = (instance: Instance, body: string, cookie = '') => rawPost(`${instance.sourceUrl}/submit`, `${body}--${BOUNDARY}--\r\n`, `multipart/form-data; boundary=${BOUNDARY}`, cookie);

/** Two desks, each with one member: both are offered to sources. */
async function twoDesks(instance: Instance): Promise<[Desk, Desk]> {
  const { desks } = instance.store;
  const a = desks.create('investigations', { en: { name: 'Investigations', description: '' } }, 'cli');
  const b = desks.create('local', { en: { name: 'Local news', description: '' } }, 'cli');
  desks.addMember(a.id, (await makeAccount(instance, 'ana')).id);
  desks.addMember(b.id, (await makeAccount(instance, 'ben')).id);
  return [a, b];
}

describe('a logged-in source whose conversation is in no desk, two desks offered', () => {
  let instance: Instance;
  let cookie: string;
  beforeAll(async () => {
    instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(256 * 1024) });
    const [deskA] = await twoDesks(instance);
    const { codename } = await registerApiSource(instance.sourceUrl, undefined, deskA.id);
    const source = (instance.rows().sources as { id: string }[]).at(-1)!;
    instance.store.desks.setDesk(source.id, null); // moved to the whole newsroom (or made before desks)
    const login = await postForm(`${instance.sourceUrl}/login`, { codename });
    expect(login.status).toBe(200);
    cookie = login.cookie;
  }, 60_000);
  afterAll(() => instance?.stop());

  test('the start page shows no radios, only who reads their sends', async () => {
    const html = await (await fetch(`${instance.sourceUrl}/`, { headers: { cookie } })).text();
    expect(html).toContain('<form class="leave"'); // logged in
    expect(html).not.toContain('name="desk"');
    expect(html).not.toContain('class="desk-choice"');
    expect(html).toContain(en['source.desk.conversation']);
    // Nobody logged in: the choice is there, as before.
    const anonymous = await (await fetch(`${instance.sourceUrl}/`)).text();
    expect(anonymous).toContain('name="desk"');
    expect(anonymous).not.toContain(en['source.desk.conversation']);
  });

  test('a refused send (too large) comes back without radios too', async () => {
    const refused = await send(instance, `${part('message', 'kept')}${file('x'.repeat(300 * 1024))}`, cookie);
    expect(refused.status).toBe(413);
    expect(refused.html).toContain('id="refused"');
    expect(refused.html).not.toContain('name="desk"');
    expect(refused.html).toContain(en['source.desk.conversation']);
  });
});

describe('the disk low (507), two desks offered', () => {
  let full: Instance;
  let deskB: Desk;
  beforeAll(async () => {
    full = await startInstance({ SEALDROP_MIN_FREE_MIB: String(1024 * 1024) });
    [, deskB] = await twoDesks(full);
    await full.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  }, 60_000);
  afterAll(() => full?.stop());

  test('a send comes back with its message and the desk it chose still checked', async () => {
    const refused = await send(full, `${part('desk', String(deskB.id))}${part('message', 'kept')}${file('hello')}`);
    expect(refused.status).toBe(507);
    expect(refused.html).toContain('>kept</textarea>');
    expect(refused.html).toMatch(new RegExp(`id="desk-${deskB.id}" name="desk" value="${deskB.id}" required[^>]* checked>`));
  });
});
