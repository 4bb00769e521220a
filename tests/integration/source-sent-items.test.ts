import { rawPost } from '../helpers/raw-post.ts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { formatSize } from '../../common/sizes.ts';
import { splitHeader } from '../../common/envelope/rewrap.ts';
import { startWithJournalist, type Instance } from '../helpers/instance.ts';

// Issue 25: after logging in, a source sees what they sent (number, day, size class) and what became
// of each item (received, opened by the newsroom, replied), from what the server already holds.
const BOUNDARY = 'sealdrop-sent-boundary';
let instance: Instance;

beforeAll(async () => {
  ({ instance } = await startWithJournalist());
});
afterAll(() => instance?.stop());

const post = (path: string, body: string, type: string, cookie = '') => rawPost(`${instance.sourceUrl}${path}`, body, type, cookie);
const multipart = (parts: string) => [`${parts}--${BOUNDARY}--\r\n`, `multipart/form-data; boundary=${BOUNDARY}`] as const;
const message = (text: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\n${text}\r\n`;
const file = (name: string, bytes: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n${bytes}\r\n`;

test('the conversation lists each item sent with its day, size class and state, with and without JavaScript', async () => {
  const first = await post('/submit', ...multipart(message('The first note.')));
  const codename = /<p class="codename" id="codename" dir="ltr">([^<]+)<\/p>/.exec(first.html)![1]!;
  const second = await post('/submit', ...multipart(file('notes.txt', 'x'.repeat(5000))), first.cookie);
  expect(second.status).toBe(303);
  const rows = instance.rows();
  const stored = (rows.submissions as { id: string; size: number; created_day: string }[]).sort((a, b) => a.created_day.localeCompare(b.created_day));
  expect(stored).toHaveLength(2);
  // The size shown is the bulk's: the stored parts without their session key packets (which a re-wrap changes).
  const items = await Promise.all(stored.map(async (s) => ({ ...s, size: s.size - (await Promise.all(instance.store.submissions.objects(s.id).parts.map(async (p) => splitHeader(await instance.store.blobs.read(p)).sealedAt))).reduce((a, b) => a + b, 0) })));
  expect(items.every((s, i) => s.size > 0 && s.size < stored[i]!.size)).toBe(true);
  const journalist = (rows.journalists as { id: number }[])[0]!.id;
  instance.store.inbox.markSeen(items[0]!.id, journalist); // a journalist opened the first item
  const line = (n: number, status: string) => `<li>Item ${n} · ${items[n - 1]!.created_day} · ${formatSize(items[n - 1]!.size).replace('<', '&lt;')} · ${status}</li>`;

  const noJs = await post('/login', `codename=${encodeURIComponent(codename)}`, 'application/x-www-form-urlencoded');
  expect(noJs.status).toBe(200);
  expect(noJs.html).toContain('<h2>What you sent</h2>');
  expect(noJs.html).toContain(line(1, 'opened by the newsroom'));
  expect(noJs.html).toContain(line(2, 'received'));
  expect(noJs.html).toContain('Without JavaScript, names are not shown');
  expect(noJs.html).not.toContain('notes.txt');

  const { kdfSalt } = (await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string };
  const { loginSecret } = await deriveSourceSecrets(codename, kdfSalt);
  const sourceId = (rows.sources as { id: string }[]).at(-1)!.id;
  await instance.store.replies.add(sourceId, new Uint8Array(4096));
  const api = await fetch(`${instance.sourceUrl}/api/sources/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: loginSecret }) });
  const { sent } = (await api.json()) as { sent: { n: number; day: string; size: number; status: string }[] };
  expect(sent).toEqual(items.map((s, i) => ({ n: i + 1, day: s.created_day, size: s.size, status: 'replied' })));
  // Nothing new is stored to say so: the same tables as before, the same rows.
  expect(Object.keys(instance.rows()).sort()).toEqual(Object.keys(rows).sort());
});
