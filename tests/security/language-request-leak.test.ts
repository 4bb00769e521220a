import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Threat: an observer of a source's Tor traffic sees the cells going up as well as those coming
// down. Responses are padded (language-size-leak.test.ts); what a browser SENDS must not depend on
// its reader's language either, as far as the server decides it: the Cookie header, the address of
// every page (which forms post to and which Referer carries) and the switch's own click. Tor
// Browser asks every site for en-US, so an English reader never touches the switch while a Uyghur
// or Chinese reader always does: anything the switch leaves behind picks those readers out.

const TOR_BROWSER = 'en-US,en;q=0.5';
const READERS = ['en', 'zh-Hans', 'zh-Hant', 'ug'] as const;

/** What a browser sends for one request that the server's answers shaped. */
type Sent = { method: string; url: string; cookie: string; referer: string };

/** Just enough of a browser: a cookie jar for this origin, redirects followed, Referer under Referrer-Policy: same-origin. */
class Reader {
  readonly jar = new Map<string, string>();
  readonly sent: Sent[] = [];
  page = { url: '', html: '' };
  constructor(readonly base: string, readonly accept = TOR_BROWSER) {}

  get cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Follows a link, a typed address or a form to `href` (relative to the page), and whatever redirects follow. */
  async go(href: string, form?: { method: 'POST'; body: URLSearchParams }): Promise<Response> {
    let url = new URL(href, this.page.url || this.base);
    let referer = this.page.url;
    let init: RequestInit = form ?? {};
    for (let hops = 0; ; hops++) {
      expect(url.origin, 'never led to another site').toBe(new URL(this.base).origin);
      this.sent.push({ method: init.method ?? 'GET', url: url.href, cookie: this.cookie, referer });
      const res = await fetch(url, { ...init, redirect: 'manual', headers: { 'accept-language': this.accept, cookie: this.cookie, ...(referer ? { referer } : {}), 'sec-fetch-site': 'same-origin' } });
      for (const c of res.headers.getSetCookie()) {
        const [pair = ''] = c.split(';');
        this.jar.set(pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1));
      }
      if (res.status !== 303) {
        this.page = { url: url.href, html: await res.text() };
        return res;
      }
      expect(hops).toBeLessThan(3);
      await res.arrayBuffer();
      url = new URL(res.headers.get('location')!, url);
      init = {}; // 303: the next request is a GET; the Referer stays the page the reader was on
    }
  }

  /** Every address the page can lead to (links, form actions, stylesheets, scripts), resolved as the browser would. */
  addresses(): { switch: string[]; other: string[] } {
    const at = (re: RegExp) => [...this.page.html.matchAll(re)].map((m) => new URL(m[1]!.replace(/&amp;/g, '&') || this.page.url, this.page.url).href);
    return {
      switch: at(/<a href="([^"]*)" hreflang=/g),
      other: [...at(/<a href="([^"]*)">/g), ...at(/<form [^>]*action="([^"]*)"/g), ...at(/(?:src|href)="(\/static\/[^"]*)"/g)],
    };
  }
}

/** The reader of `lang`: opens the drop in Tor Browser, and (but for English) uses the switch on the first page. */
async function readerOf(base: string, lang: string): Promise<Reader> {
  const reader = new Reader(base);
  await reader.go('/');
  if (lang !== 'en') await reader.go(linkTo(reader, lang));
  expect(reader.page.html, lang).toContain(`<html lang="${lang}"`);
  return reader;
}

const linkTo = (reader: Reader, lang: string): string => new RegExp(`<a href="([^"]*)" hreflang="${lang}"`).exec(reader.page.html)![1]!.replace(/&amp;/g, '&');

/** The shape of what a browser sent: lengths only, which is what a cell count can show (and a little more). */
const shape = (sent: Sent[]) => sent.map((s) => `${s.method} url:${s.url.length} cookie:${s.cookie.length} referer:${s.referer.length}`);

let instance: Instance;
beforeAll(async () => {
  instance = await startInstance();
  await instance.addJournalist('desk', (await generateKeyPair({ name: 'Desk' })).publicKey);
});
afterAll(() => instance?.stop());

test('after the switch, a reader of every language sends the same Cookie, addresses and Referer, length for length, as an English reader who never used it', async () => {
  const readers = await Promise.all(READERS.map((l) => readerOf(instance.sourceUrl, l)));
  // From here on, each reader does the same things: reads the guide, the login page, and posts the login form.
  const from = readers.map((r) => r.sent.length);
  for (const r of readers) {
    await r.go('/guide');
    await r.go('/login');
    await r.go(/<form [^>]*action="([^"]*)"/.exec(r.page.html)![1]!, { method: 'POST', body: new URLSearchParams({ codename: 'not a codename' }) });
    await r.go('/');
  }
  const after = readers.map((r, i) => r.sent.slice(from[i]));
  for (const [i, lang] of READERS.entries()) {
    expect(shape(after[i]!), `${lang}: ${JSON.stringify(after[i])}`).toEqual(shape(after[0]!));
    expect(after[i]!.map((s) => s.url), lang).toEqual(after[0]!.map((s) => s.url)); // the very same addresses
    expect(readers[i]!.page.html, lang).toContain(`<html lang="${lang}"`); // and still in the reader's language
  }
  // Every reader holds a language cookie, all of one length, whatever the language.
  expect(new Set(readers.map((r) => r.cookie.length)).size, readers.map((r) => r.cookie).join(' | ')).toBe(1);
  expect(readers[0]!.cookie).toMatch(/^sealdrop-lang=/);
});

test('every address a page can lead to is the same in every language, and each switch link is as long as the others', async () => {
  const readers = await Promise.all(READERS.map((l) => readerOf(instance.sourceUrl, l)));
  for (const path of ['/', '/guide', '/login']) {
    await Promise.all(readers.map((r) => r.go(path)));
    const pages = readers.map((r) => r.addresses());
    for (const [i, lang] of READERS.entries()) {
      expect(pages[i]!.other, `${path} in ${lang}`).toEqual(pages[0]!.other);
      expect(pages[i]!.switch).toHaveLength(READERS.length - 1);
      expect(new Set([...pages[i]!.switch, ...pages[0]!.switch].map((u) => u.length)).size, `${path} in ${lang}: ${pages[i]!.switch.join(' ')}`).toBe(1);
      expect(readers[i]!.page.url, lang).toBe(`${instance.sourceUrl}${path}`);
    }
  }
});

test('the switch click itself is as long for every language, the redirect as long, and what follows it the same', async () => {
  const clicks = await Promise.all(READERS.map(async (lang) => {
    const r = await readerOf(instance.sourceUrl, 'en');
    await r.go('/guide');
    const before = r.sent.length;
    // Every reader clicks a switch link on the guide: to English, from the Uyghur page.
    if (lang === 'en') await r.go(linkTo(r, 'ug'));
    await r.go(linkTo(r, lang));
    return r.sent.slice(lang === 'en' ? before + 2 : before);
  }));
  for (const [i, lang] of READERS.entries()) {
    expect(shape(clicks[i]!).slice(-2), `${lang}: ${JSON.stringify(clicks[i])}`).toEqual(shape(clicks[3]!).slice(-2));
    expect(clicks[i]!.at(-1)!.url, lang).toBe(`${instance.sourceUrl}/guide`);
  }
});

test('a browser still holding an old cookie (sealdrop-lang=ug) keeps its language, and its cookie is rewritten to the common length', async () => {
  const reader = new Reader(instance.sourceUrl);
  reader.jar.set('sealdrop-lang', 'ug');
  await reader.go('/guide');
  expect(reader.page.html).toContain('<html lang="ug"');
  const english = await readerOf(instance.sourceUrl, 'en');
  expect(reader.cookie.length, `${reader.cookie} / ${english.cookie}`).toBe(english.cookie.length);
  await reader.go('/login');
  expect(reader.page.html).toContain('<html lang="ug"');
});
