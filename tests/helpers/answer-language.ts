// Which language a request to the source listener asks for, worked out from the request alone (the
// test's own reading of the rules in README "In the source's own language", not the server's code),
// and the refusal messages of each catalog as patterns, so that a test can say a refusal is one of
// them in that language: a sentence in English shown to a Uyghur reader matches none of hers.
import querystring from 'node:querystring';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { catalogFor } from '../../server/i18n/catalogs.ts';

export const TAGS = LANGUAGES.map((l) => l.tag);

/** A language's code in the switch and the cookie: its place in the list ("3" Uyghur); an earlier version's tag still names it. */
export const codeOf = (tag: string): string => String(TAGS.indexOf(tag));
export const tagOfValue = (value: string): string | undefined => (TAGS.includes(value) ? value : /^[0-9]$/.test(value) ? TAGS[Number(value)] : undefined);

const unescape = (s: string) => querystring.unescape(s.replace(/\+/g, ' '));

/** The language a request's address asks for: exactly one `lang` parameter naming one (two are no choice). */
export function queryLanguage(path: string): string | undefined {
  const at = path.indexOf('?');
  if (at < 0) return undefined;
  const values = path.slice(at + 1).split('&').filter((p) => p !== '').map((p) => p.split('=')).filter(([k]) => unescape(k!) === 'lang');
  return values.length === 1 ? tagOfValue(unescape(values[0]!.slice(1).join('='))) : undefined;
}

/** The language cookie's value as a browser sent it (the first `sealdrop-lang`), and its language. */
export function cookieLanguage(cookie: string | undefined): { tag: string; current: boolean } | undefined {
  for (const part of (cookie ?? '').split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== 'sealdrop-lang') continue;
    const value = rest.join('=');
    const tag = tagOfValue(value);
    return tag === undefined ? undefined : { tag, current: value === codeOf(tag) };
  }
  return undefined;
}

export type Asked = {
  /** The language the answer must be in. */
  lang: string;
  /** A GET or HEAD naming a language in its address: answered with a redirect to the address without it. */
  switched: boolean;
  /** Whether a text answer must set the language cookie (to `lang`'s code). */
  setsCookie: boolean;
};

/** What a request asks for: the address, then the cookie, then Accept-Language (`negotiated`: its language). */
export function asked(method: string, path: string, cookie: string | undefined, negotiated: string): Asked {
  const query = queryLanguage(path);
  const held = cookieLanguage(cookie);
  const lang = query ?? held?.tag ?? negotiated;
  const page = method === 'GET' || method === 'HEAD';
  const setsCookie = held ? !held.current || held.tag !== lang : query !== undefined || page;
  return { lang, switched: query !== undefined && page, setsCookie };
}

// A placeholder in a refusal: a technical detail (which stays English inside the translated sentence)
// is a sentence of its own; any other value (a number, a field name the request sent) is anything.
const DETAIL = '[\\x20-\\x7e]{10,}[.?!]';
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function pattern(ast: MessageFormatElement[]): { re: string; words: string } {
  let re = '';
  let words = '';
  for (const el of ast) {
    if (el.type === TYPE.literal) (re += escapeRe(el.value), (words += el.value));
    else if (el.type === TYPE.argument) re += el.value === 'detail' ? DETAIL : '[^]*?';
    else if (el.type === TYPE.number || el.type === TYPE.pound) re += '[^]{1,40}?';
    else if (el.type === TYPE.tag) {
      const inner = pattern(el.children);
      (re += inner.re), (words += inner.words);
    } else if (el.type === TYPE.plural || el.type === TYPE.select) {
      const options = Object.values(el.options).map((o) => pattern(o.value));
      re += `(?:${options.map((o) => o.re).join('|')})`;
      words += options.map((o) => o.words).join('');
    } else throw new Error(`refusal messages: no pattern for element type ${el.type}`);
  }
  return { re, words };
}

export type Refusals = { titles: Map<string, string[]>; messages: Map<string, { key: string; re: RegExp }[]> };

/**
 * Every refusal message (keys under "error." and the store's "store.") of every catalog, as a whole-text pattern. A message
 * that is only a placeholder is no translation, and counts only in English, whose words the detail is in.
 */
export function refusals(): Refusals {
  // A codename that is none is refused on the login page in the words the page script uses too.
  const keys = Object.keys(catalogFor('en')).filter((k) => /(^|\.)error\.|^store\.|^client\.codename\.(notWord|count)$|^login\.unknown$/.test(k));
  const titles = new Map<string, string[]>();
  const messages = new Map<string, { key: string; re: RegExp }[]>();
  for (const tag of TAGS) {
    const catalog = catalogFor(tag);
    titles.set(tag, keys.filter((k) => k.startsWith('error.title.')).map((k) => catalog[k]!));
    messages.set(tag, keys.filter((k) => !k.startsWith('error.title.') && catalog[k] !== undefined).flatMap((key) => {
      const { re, words } = pattern(parse(catalog[key]!));
      return tag === 'en' || words.trim() !== '' ? [{ key, re: new RegExp(`^${re}$`, 'u') }] : [];
    }));
  }
  return { titles, messages };
}

/** The catalog key of the refusal `text` is, in `tag`'s catalog; undefined if it is none of them. */
export const refusalKey = (r: Refusals, tag: string, text: string): string | undefined => r.messages.get(tag)!.find((m) => m.re.test(text))?.key;

/** Text taken out of the HTML a page escaped. */
export const unescapeHtml = (s: string): string =>
  s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
