import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, test } from 'vitest';
import { LANGUAGES } from '../../../common/i18n/languages.ts';
import { CATALOG_DIR, readCatalog } from '../../../server/i18n/catalogs.ts';

// Adding a language is one catalog file: this test names every key it lacks, every key it has
// that English does not, and every message whose placeholders or tags differ from the English.
const root = path.resolve(import.meta.dirname, '../../..');
const en = readCatalog('en');

/** "{name}" and "<tag>" a message uses, in any branch of a plural or select. */
function slots(ast: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const el of ast) {
    if (el.type === TYPE.tag) slots(el.children, into.add(`<${el.value}>`));
    else if (el.type !== TYPE.literal && el.type !== TYPE.pound) into.add(`{${el.value}}`);
    if (el.type === TYPE.plural || el.type === TYPE.select) for (const o of Object.values(el.options)) slots(o.value, into);
  }
  return into;
}
const slotsOf = (message: string) => [...slots(parse(message))].sort();

async function codeFiles(): Promise<string[]> {
  const out: string[] = [];
  for (const dir of ['server', 'client', 'common']) {
    for (const e of await readdir(path.join(root, dir), { recursive: true, withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.parentPath.includes(`${path.sep}public${path.sep}`)) out.push(await readFile(path.join(e.parentPath, e.name), 'utf8'));
    }
  }
  return out;
}

test('every shipped language has a catalog, and no catalog ships unlisted', async () => {
  const files = (await readdir(CATALOG_DIR)).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
  expect(files.sort()).toEqual(LANGUAGES.map((l) => l.tag).sort());
});

describe.each(LANGUAGES.filter((l) => l.tag !== 'en').map((l) => l.tag))('%s', (tag) => {
  const catalog = readCatalog(tag);
  test('has every English key and no other', () => {
    expect(Object.keys(en).filter((k) => !(k in catalog)), 'untranslated (missing) keys').toEqual([]);
    expect(Object.keys(catalog).filter((k) => !(k in en)), 'keys English does not have').toEqual([]);
  });
  test('every message parses and uses exactly the English placeholders and tags', () => {
    const differ = Object.keys(en).filter((k) => k in catalog).filter((k) => slotsOf(catalog[k]!).join() !== slotsOf(en[k]!).join());
    expect(differ).toEqual([]);
  });
  test('no message is still the English text', () => {
    // Only placeholders, symbols and names may stay identical (e.g. "{detail}", "{page} · Sealdrop").
    const words = (m: string) => m.replace(/\{[^}]*\}|<[^>]*>/g, ' ').match(/[A-Za-z]{2,}/g) ?? [];
    const same = Object.keys(en).filter((k) => catalog[k] === en[k] && words(en[k]!).filter((w) => w !== 'Sealdrop').length > 0);
    expect(same).toEqual([]);
  });
});

test('English messages parse, every key the code names exists, and every key is used', async () => {
  for (const message of Object.values(en)) expect(() => parse(message)).not.toThrow();
  const code = (await codeFiles()).join('\n');
  // Keys are always written out whole in the code (never built from pieces), so a search finds them.
  const literals = new Set([...code.matchAll(/'([a-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)+)'/g)].map((m) => m[1]!));
  const named = [...code.matchAll(/\b(?:t|text|html|said)\(\s*'([^']+)'/g)].map((m) => m[1]!);
  expect(named.length).toBeGreaterThan(100);
  expect(named.filter((k) => !(k in en)), 'keys the code uses that the catalog lacks').toEqual([]);
  expect(Object.keys(en).filter((k) => !literals.has(k)), 'keys no code uses').toEqual([]);
});
