import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { generateCodename } from '../../common/codename.ts';
import { answerAndClose } from '../../server/http/answer-and-close.ts';
import { baseApp } from '../../server/http/base.ts';
import { PUBLIC_DIR } from '../../server/http/static.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { onTheWire, type RawRequest, type Wire } from '../helpers/wire.ts';

// Threat: an observer on a source's network path (a national firewall that recognises the drop's
// traffic, a guard relay) counts the Tor cells of every response. Were the Uyghur and Chinese pages
// longer than the English ones, the count alone would pick out the readers the drop exists for.
// Every response on the source listener, whole (status line, headers, body), must be as long, to
// the byte, in every language however it was chosen; and a page must not grow with what it shows
// (a reply's length, a codename's, the newsroom's texts in each language).

const LANGUAGES = ['en', 'zh-Hans', 'zh-Hant', 'ug'] as const;
type Lang = (typeof LANGUAGES)[number];
const ACCEPT: Record<Lang, string> = { en: 'en-US,en;q=0.5', 'zh-Hans': 'zh-CN,zh;q=0.9', 'zh-Hant': 'zh-TW,zh;q=0.9', ug: 'ug-CN,ug;q=0.9,en;q=0.5' };
const WAYS = ['query', 'cookie', 'code', 'accept'] as const;
type Way = (typeof WAYS)[number];
type Variant = [Lang, Way];
/** The language cookie as the server writes it: a code of one width (an index into the languages). */
const code = (lang: Lang) => String(LANGUAGES.indexOf(lang));

/**
 * The request in `lang`, chosen by the switch (?lang=, which sets the cookie; a page or other GET
 * answers with a redirect, followed by inEvery), by the cookie as earlier versions wrote it (the tag),
 * by the cookie as it is written now (the code), or by Accept-Language; asking for compression too.
 */
function inLanguage(req: RawRequest, [lang, way]: Variant): RawRequest {
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', 'accept-language': 'en-US,en;q=0.5', ...req.headers };
  const withCookie = (c: string) => ({ ...req, headers: { ...headers, cookie: [headers.cookie, `sealdrop-lang=${c}`].filter(Boolean).join('; ') } });
  if (way === 'query') return { ...req, headers, path: `${req.path}${req.path.includes('?') ? '&' : '?'}lang=${lang}` };
  if (way === 'cookie') return withCookie(lang);
  if (way === 'code') return withCookie(code(lang));
  return { ...req, headers: { ...headers, 'accept-language': ACCEPT[lang] } };
}

const isGet = (req: RawRequest) => ['GET', 'HEAD'].includes(req.method ?? 'GET');

/** Where the switch's redirect leads: the same request at the address it names, with the cookie it set. */
function afterSwitch(asked: RawRequest, redirect: Wire): RawRequest {
  const to = new URL(redirect.headers.get('location')![0]!, `http://drop.onion${asked.path}`);
  const cookie = redirect.headers.get('set-cookie')![0]!.split(';')[0]!;
  const held = (asked.headers?.cookie ?? '').split('; ').filter((c) => c && !c.startsWith('sealdrop-lang='));
  return { ...asked, headers: { ...asked.headers, cookie: [...held, cookie].join('; ') }, path: `${to.pathname}${to.search}` };
}

/** The request in `lang`, as it reaches the page: through the switch's redirect where it answers with one (a GET in an app that chooses languages). */
async function inOne(base: string, req: RawRequest, v: Variant): Promise<Wire> {
  const asked = inLanguage(req, v);
  const first = await onTheWire(base, asked);
  if (v[1] !== 'query' || !isGet(req) || first.status !== 303) return first;
  expect(first.headers.get('set-cookie')![0]).toMatch(new RegExp(`^sealdrop-lang=${code(v[0])};`));
  return onTheWire(base, afterSwitch(asked, first));
}

const EVERY: Variant[] = LANGUAGES.flatMap((l) => WAYS.map((w): Variant => [l, w]));
/** Each language once, each chosen a different way: for requests that cost the server a PBKDF2. */
const EACH_ONCE: Variant[] = LANGUAGES.map((l, i): Variant => [l, WAYS[i % WAYS.length]!]);

const inEvery = (base: string, req: RawRequest, variants = EVERY) => Promise.all(variants.map((v) => inOne(base, req, v)));

/** Every response the same length on the wire (and never compressed: padding would not survive it). */
function expectOneSize(label: string, wires: Wire[], status: number): void {
  const totals = wires.map((w) => w.total);
  expect(totals, `${label}: ${totals.join(' ')}`).toEqual(totals.map(() => totals[0]));
  for (const w of wires) {
    expect(w.status, `${label}: ${w.body.toString().slice(0, 300)}`).toBe(status);
    expect(w.headers.get('content-encoding'), label).toBeUndefined();
  }
}

/** The words really differ (so the sizes above were not equal by accident). */
const expectWorded = (label: string, wires: Wire[]) => expect(new Set(wires.map((w) => w.body.toString().trimEnd())).size, label).toBeGreaterThan(1);

let instance: Instance;
let url: string;
beforeAll(async () => {
  instance = await startInstance();
  url = instance.sourceUrl;
});
afterAll(() => instance?.stop());

test('a drop not yet open: its start page is the same size in every language', async () => {
  const wires = await inEvery(url, { path: '/' });
  expectOneSize('/ (closed)', wires, 200);
  expectWorded('/ (closed)', wires);
});

describe('an open drop, with the newsroom texts of different lengths in each language', () => {
  let journalistKey: Awaited<ReturnType<typeof readJournalistKey>>['key'];
  beforeAll(async () => {
    const pair = await generateKeyPair({ name: 'Desk' });
    journalistKey = (await readJournalistKey(pair.publicKey)).key;
    await instance.addJournalist('desk', pair.publicKey);
    const settings = instance.store.settings;
    settings.setBranding({ name: 'The Daily Example', welcome: 'Welcome, and thank you for trusting us. '.repeat(40), guidelines: 'Send documents, not opinions.\n\n'.repeat(60) }, 'en');
    settings.setBranding({ name: '示例日报', welcome: '欢迎。'.repeat(30), guidelines: '' }, 'zh-Hans');
    settings.setBranding({ name: 'مىسال گېزىتى', welcome: 'خوش كەلدىڭىز', guidelines: 'ھۆججەت ئەۋەتىڭ' }, 'ug');
    // zh-Hant has none of its own: it shows the default (English) texts.
  });

  test('every page, in every language however chosen, is the same number of bytes on the wire', async () => {
    for (const page of ['/', '/guide', '/login', '/sent']) {
      const wires = await inEvery(url, { path: page });
      expectOneSize(page, wires, 200);
      expectWorded(page, wires);
    }
    const start = await inOne(url, { path: '/' }, ['ug', 'query']);
    expect(start.body.toString()).toContain('مىسال گېزىتى');
  });

  test('HEAD of every page, in every language however chosen (no cookie, an old-form or a new one), is the same number of bytes on the wire', async () => {
    // No body follows a HEAD answer, so its headers alone must not say the language. They are the
    // ones GET sends (its padded Content-Length, its language headers), evened out by a Padding header.
    for (const page of ['/', '/guide', '/login', '/sent', '/no/such/page']) {
      const heads = await inEvery(url, { method: 'HEAD', path: page });
      expectOneSize(`HEAD ${page}`, heads, page.startsWith('/no/') ? 404 : 200);
      const gets = await inEvery(url, { path: page });
      heads.forEach((h, i) => {
        expect(h.body.length, page).toBe(0);
        for (const name of ['content-length', 'content-language', 'set-cookie']) expect(h.headers.get(name), `${page} ${name}`).toEqual(gets[i]!.headers.get(name));
      });
      expect(new Set(heads.map((h) => h.headers.get('content-language')![0])).size, page).toBe(4);
    }
  });

  test('the switch answers every page with a redirect of one size, whichever language (by code or by tag) it chooses, to the same address', async () => {
    for (const page of ['/', '/guide', '/login', '/sent', '/no/such/page', '/static/style.css']) {
      // As the switch links say now (a code of one width), and as earlier versions' links said (the tag).
      const wires = await Promise.all(LANGUAGES.flatMap((l) => [code(l), l]).map((asked) => onTheWire(url, { path: `${page}?lang=${asked}` })));
      expectOneSize(`switch on ${page}`, wires, 303);
      expect(new Set(wires.map((w) => w.headers.get('location')![0])).size, page).toBe(1);
      for (const w of wires) expect(w.headers.get('content-language'), page).toBeUndefined();
    }
  });

  test('static files are the same bytes in every language: not padded (the published digests hold), no language header', async () => {
    for (const file of ['style.css', 'nojs.css', 'js/source.js']) {
      const wires = await inEvery(url, { path: `/static/${file}` });
      expectOneSize(file, wires, 200);
      const { size } = await stat(path.join(PUBLIC_DIR, file));
      for (const w of wires) {
        expect(w.body.length).toBe(size);
        expect(w.headers.get('content-language')).toBeUndefined();
        expect(w.headers.get('set-cookie')).toBeUndefined();
      }
    }
  });

  const json = (body: string, extra: Record<string, string> = {}): Pick<RawRequest, 'headers' | 'body'> => ({ headers: { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin', ...extra }, body });
  const form = (body: string, extra: Record<string, string> = {}): Pick<RawRequest, 'headers' | 'body'> => ({ headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...extra }, body });
  const multipart = (parts: string): Pick<RawRequest, 'headers' | 'body'> => ({ headers: { 'content-type': 'multipart/form-data; boundary=B', 'sec-fetch-site': 'same-origin' }, body: `${parts}--B--\r\n` });
  const REFUSALS: [string, RawRequest, number][] = [
    ['page not found', { path: '/no/such/page' }, 404],
    ['static file not found', { path: '/static/no-such.css' }, 404],
    ['API route not found', { path: '/api/no/such' }, 404],
    ['unknown submission', { path: `/api/submissions/${'ab'.repeat(16)}` }, 404],
    ['unknown field', { method: 'POST', path: '/api/submissions', ...json('{"extra":1}') }, 400],
    ['no session', { method: 'POST', path: `/api/replies/${'ef'.repeat(16)}/read`, ...json('{}') }, 401],
    ['cross-site post (JSON)', { method: 'POST', path: '/api/submissions', ...json('{"parts":1}', { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' }) }, 403],
    ['unparsable JSON', { method: 'POST', path: '/api/sources', ...json('{') }, 400],
    ['JSON too large', { method: 'POST', path: '/api/sources', ...json(`{"login":"${'a'.repeat(20_000)}"}`) }, 413],
    ['wrong codename (JSON)', { method: 'POST', path: '/api/sources/login', ...json(`{"login":"${'c'.repeat(64)}"}`) }, 401],
    ['form not multipart', { method: 'POST', path: '/submit', headers: { 'content-type': 'text/plain', 'sec-fetch-site': 'same-origin' }, body: 'x' }, 415],
    ['nothing chosen', { method: 'POST', path: '/submit', ...multipart('') }, 400],
    ['cross-site post (page)', { method: 'POST', path: '/submit', ...form('x=1', { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' }) }, 403],
    ['not a codename', { method: 'POST', path: '/login', ...form('codename=three%20short%20words') }, 400],
    ['unexpected field', { method: 'POST', path: '/login', ...form('codename=a&extra=b') }, 400],
    ['delete without a session', { method: 'POST', path: `/replies/${'cd'.repeat(16)}/delete`, ...form('csrf=x') }, 403],
  ];

  test('every refusal, on a page or in JSON, is the same size in every language', async () => {
    await Promise.all(REFUSALS.map(async ([label, req, status]) => {
      const wires = await inEvery(url, req);
      expectOneSize(label, wires, status);
      expectWorded(label, wires);
    }));
  });

  test('a wrong codename without JavaScript (PBKDF2 on the server) is refused at one size in every language', async () => {
    const wires = await inEvery(url, { method: 'POST', path: '/login', ...form(`codename=${encodeURIComponent(generateCodename())}`) }, EACH_ONCE);
    expectOneSize('wrong codename (page)', wires, 401);
    expectWorded('wrong codename (page)', wires);
  });

  const send = { method: 'POST', path: '/submit', ...multipart('--B\r\nContent-Disposition: form-data; name="message"\r\n\r\nA note for the desk.\r\n') };
  const loginWith = (codename: string) => ({ method: 'POST', path: '/login', ...form(`codename=${encodeURIComponent(codename)}`) });
  const CODENAME = /id="codename" dir="ltr">([a-z -]+)</;
  const tokenOf = (w: Wire) => /__Host-sealdrop-source=([^;]+)/.exec((w.headers.get('set-cookie') ?? []).join('\n'))![1]!;

  test('the codename page and the no-JS conversation: one size in every language, whatever the codename or the replies', async () => {
    // Four new sources, four codenames of (almost surely) different lengths; the first one's replies follow.
    const first = await onTheWire(url, inLanguage(send, EACH_ONCE[0]!));
    const source = instance.rows().sources!.at(-1) as { id: string; public_key: string };
    const shown = [first, ...(await inEvery(url, send, EACH_ONCE.slice(1)))];
    expectOneSize('codename page', shown, 200);
    const codenames = shown.map((w) => CODENAME.exec(w.body.toString())![1]!);
    expect(new Set(codenames).size).toBe(4);
    const codename = codenames[0]!;
    const sourceKey = (await readJournalistKey(source.public_key)).key;
    const reply = async (text: string) => instance.store.replies.add(source.id, await encryptObject({ data: new TextEncoder().encode(text), recipients: [sourceKey, journalistKey] }));

    const none = await onTheWire(url, inLanguage(loginWith(codename), ['en', 'cookie']));
    expect(none.status).toBe(200);
    const short = await reply('y');
    const oneByte = await inEvery(url, loginWith(codename), EACH_ONCE);
    expectOneSize('conversation, a 1-byte reply', [none, ...oneByte], 200);
    await instance.store.replies.delete(short, source.id);
    const longText = 'Can you send the minutes of the March board meeting, and say who else saw them? '.repeat(4).slice(0, 300);
    const long = await reply(longText);
    const longer = await onTheWire(url, inLanguage(loginWith(codename), ['ug', 'query']));
    expect(longer.body.toString()).toContain(longText);
    expectOneSize('conversation: no reply, a 1-byte reply, a 300-byte reply', [none, ...oneByte, longer], 200);

    // The same source with JavaScript: an empty answer, and the reply's ciphertext as a stream.
    const token = tokenOf(shown[0]!);
    for (const [label, req, status] of [['mark read', { method: 'POST', path: `/api/replies/${long}/read`, headers: { 'x-source-token': token, 'sec-fetch-site': 'same-origin' } }, 204], ['reply ciphertext', { path: `/api/replies/${long}`, headers: { 'x-source-token': token } }, 200]] as const) {
      const wires = await inEvery(url, req);
      expectOneSize(label, wires, status);
      for (const w of wires) expect(w.headers.get('content-language'), label).toBeUndefined();
    }

    // A returning source sends more without JavaScript: a redirect to /sent, no language header.
    const more = await inEvery(url, { ...send, headers: { ...send.headers, cookie: `__Host-sealdrop-source=${tokenOf(longer)}` } }, EACH_ONCE);
    expectOneSize('sent again (redirect)', more, 303);
    for (const w of more) expect(w.headers.get('content-language')).toBeUndefined();

    // Deleting replies without JavaScript: the notice that says so.
    const csrf = /name="csrf" value="([^"]+)"/.exec(longer.body.toString())![1]!;
    const session = tokenOf(longer);
    const ids = await Promise.all(EACH_ONCE.map(() => reply('delete me')));
    for (const id of ids) instance.store.replies.markRead(id, source.id);
    const deleted = await Promise.all(EACH_ONCE.map((v, i) => onTheWire(url, inLanguage({ method: 'POST', path: `/replies/${ids[i]}/delete`, ...form(`csrf=${csrf}`, { cookie: `__Host-sealdrop-source=${session}` }) }, v))));
    expectOneSize('reply deleted', deleted, 200);
    expectWorded('reply deleted', deleted);
  });
});

describe('answers given outside the routes: a slow body cut (408), a newcomer past the connection cap (503)', () => {
  const servers: http.Server[] = [];
  const listen = async (server: http.Server) => {
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  test('inside the app, and before it ran, on a page and in JSON', async () => {
    const app = baseApp();
    app.use((req, res) => answerAndClose(req, res, 408, 'error.tooSlow'));
    const inApp = await listen(http.createServer(app));
    const before = await listen(http.createServer((req, res) => answerAndClose(req, res, 503, 'error.busy')));
    for (const [base, status] of [[inApp, 408], [before, 503]] as const) {
      for (const where of ['/submit', '/api/submissions/x/parts/1']) {
        const wires = await inEvery(base, { path: where });
        expectOneSize(`${status} ${where}`, wires, status);
        expectWorded(`${status} ${where}`, wires);
      }
    }
  });
});
