// The message catalogs (common/i18n/catalogs/<tag>.json, flat "key": "ICU message" objects that
// Weblate reads as "JSON file"), parsed once. English is the source language and the fallback.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { DEFAULT_LANGUAGE } from '../../common/i18n/languages.ts';

export const CATALOG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../common/i18n/catalogs');

export type Catalog = Readonly<Record<string, string>>;

export function readCatalog(tag: string): Catalog {
  const parsed: unknown = JSON.parse(readFileSync(path.join(CATALOG_DIR, `${tag}.json`), 'utf8'));
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`catalog ${tag}: not a JSON object`);
  for (const [key, value] of Object.entries(parsed)) if (typeof value !== 'string') throw new Error(`catalog ${tag}: "${key}" is not text`);
  return parsed as Catalog;
}

const catalogs = new Map<string, Catalog>();

export function catalogFor(tag: string): Catalog {
  let catalog = catalogs.get(tag);
  if (!catalog) catalogs.set(tag, (catalog = readCatalog(tag)));
  return catalog;
}

const parsed = new Map<string, MessageFormatElement[]>();

/** The message for `key` in `tag` (English where a catalog lacks it), parsed; an unknown key is a bug. */
export function messageAst(tag: string, key: string): { lang: string; ast: MessageFormatElement[] } {
  const own = catalogFor(tag)[key];
  const lang = own === undefined ? DEFAULT_LANGUAGE : tag;
  const text = own ?? catalogFor(DEFAULT_LANGUAGE)[key];
  if (text === undefined) throw new Error(`no message "${key}"`);
  const id = `${lang}\u0000${key}`;
  let ast = parsed.get(id);
  if (!ast) parsed.set(id, (ast = parse(text)));
  return { lang, ast };
}
