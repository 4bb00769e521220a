// Every word a person reads comes from here: `text` for plain text (titles, attributes, JSON
// errors), `html` for markup, where the catalog's own words and every value are escaped and only
// the tags below (or ones the caller passes, such as a link) become elements.
import IntlMessageFormat from 'intl-messageformat';
import { TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { escapeHtml } from '../views/escape.ts';
import { languageOf, type Language } from '../../common/i18n/languages.ts';
import { catalogFor, messageAst } from './catalogs.ts';

export type Values = Record<string, string | number>;
export type Tags = Record<string, (inner: string) => string>;

export type Translator = Language & {
  /** Where the language switch's links lead: "" (this page, relative) if it can be fetched again, else "/". */
  here: string;
  text(key: string, values?: Values): string;
  html(key: string, values?: Values, tags?: Tags): string;
  /** A page script's messages (the keys under `prefix`), parsed, as JSON for the page's data block. */
  clientJson(prefix: string): string;
};

const wrap = (tag: string, attrs = '') => (inner: string) => `<${tag}${attrs}>${inner}</${tag}>`;
// Tags the catalogs use besides the links a page passes; <bdi> isolates a name in the other direction.
const TAGS: Tags = { strong: wrap('strong'), bdi: wrap('bdi'), code: wrap('code') };

type Walk = (ast: MessageFormatElement[]) => MessageFormatElement[];

/** A copy of a message tree with each element replaced by `each` (given the walk, for children); plural and select branches are walked too. */
function rewrite(ast: MessageFormatElement[], each: (el: MessageFormatElement, walk: Walk) => MessageFormatElement[]): MessageFormatElement[] {
  const walk: Walk = (nodes) =>
    nodes.flatMap((el) => {
      if (el.type !== TYPE.plural && el.type !== TYPE.select) return each(el, walk);
      return [{ ...el, options: Object.fromEntries(Object.entries(el.options).map(([k, o]) => [k, { ...o, value: walk(o.value) }])) }];
    });
  return walk(ast);
}

/** For markup: the catalog's own words escaped, tags kept (they become elements only through TAGS and the caller's). */
const escapeLiterals = (ast: MessageFormatElement[]) =>
  rewrite(ast, (el, walk) => (el.type === TYPE.literal ? [{ ...el, value: escapeHtml(el.value) }] : el.type === TYPE.tag ? [{ ...el, children: walk(el.children) }] : [el]));

// In plain text a tag is only emphasis or a link: its words stay, the markup goes.
const withoutTags = (ast: MessageFormatElement[]) => rewrite(ast, (el, walk) => (el.type === TYPE.tag ? walk(el.children) : [el]));

const cache = new Map<string, IntlMessageFormat>();

function formatter(tag: string, key: string, forHtml: boolean): IntlMessageFormat {
  const id = `${tag}\u0000${key}\u0000${forHtml ? 'h' : 't'}`;
  let f = cache.get(id);
  if (!f) {
    const { lang, ast } = messageAst(tag, key);
    cache.set(id, (f = new IntlMessageFormat(forHtml ? escapeLiterals(ast) : withoutTags(ast), lang)));
  }
  return f;
}

const joined = (out: unknown) => (Array.isArray(out) ? out.join('') : String(out));

export function translator(tag: string, here = '/'): Translator {
  const language = languageOf(tag);
  const t = language.tag;
  return {
    ...language,
    here,
    text: (key, values = {}) => joined(formatter(t, key, false).format(values)),
    html: (key, values = {}, tags = {}) => {
      const safe = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? escapeHtml(v) : v]));
      const elements = Object.fromEntries(Object.entries({ ...TAGS, ...tags }).map(([k, fn]) => [k, (c: string[]) => fn(c.join(''))]));
      return joined(formatter(t, key, true).format({ ...safe, ...elements }));
    },
    clientJson: (prefix) => clientJson(t, prefix),
  };
}

const clientCache = new Map<string, string>();

function clientJson(tag: string, prefix: string): string {
  const id = `${tag}\u0000${prefix}`;
  let json = clientCache.get(id);
  if (!json) {
    const keys = Object.keys(catalogFor('en')).filter((k) => k.startsWith(prefix));
    const messages = Object.fromEntries(keys.map((k) => [k, messageAst(tag, k).ast]));
    // Inside <script type="application/json">: "<" escaped so no text can close the element.
    clientCache.set(id, (json = JSON.stringify({ lang: tag, messages }).replace(/</g, '\\u003c')));
  }
  return json;
}
