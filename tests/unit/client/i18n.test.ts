import fc from 'fast-check';
import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { describe, expect, test } from 'vitest';
import { t, useStrings } from '../../../client/i18n.ts';
import { LANGUAGES } from '../../../common/i18n/languages.ts';
import { catalogFor } from '../../../server/i18n/catalogs.ts';
import { translator } from '../../../server/i18n/index.ts';

// The page's small formatter must say exactly what intl-messageformat (the server's) says, for
// every message the page has, in every language, for any numbers and text put into it.

function argumentsOf(ast: MessageFormatElement[], into = new Map<string, 'number' | 'text'>()): Map<string, 'number' | 'text'> {
  for (const el of ast) {
    if (el.type === TYPE.plural || el.type === TYPE.number) into.set(el.value, 'number');
    else if (el.type === TYPE.argument && !into.has(el.value)) into.set(el.value, 'text');
    if (el.type === TYPE.tag) argumentsOf(el.children, into);
    if (el.type === TYPE.plural || el.type === TYPE.select) for (const o of Object.values(el.options)) argumentsOf(o.value, into);
  }
  return into;
}

// The source page's script ("client.") and the journalist page's ("staff.script.").
const pages = LANGUAGES.flatMap((l) => ['client.', 'staff.script.'].map((prefix) => [l.tag, prefix] as const));

describe.each(pages)('%s %s', (tag, prefix) => {
  const server = translator(tag);
  const keys = Object.keys(catalogFor('en')).filter((k) => k.startsWith(prefix));
  test('every page-script message, any values: the same words as intl-messageformat', () => {
    useStrings(JSON.parse(server.clientJson(prefix)));
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) {
      const args = argumentsOf(parse(catalogFor('en')[key]!));
      const value = fc.oneof(fc.nat(100_000), fc.constantFrom(0, 1, 2, 5, 11, 21, 101));
      const record = fc.record(Object.fromEntries([...args].map(([name, kind]) => [name, kind === 'number' ? value : fc.string({ maxLength: 12 })])));
      fc.assert(fc.property(record, (values) => {
        const v = values as Record<string, string | number>;
        expect(t(key, v), key).toBe(server.text(key, v));
      }), { numRuns: 25 });
    }
  });
});

test('a key the page lacks shows the key, not nothing', () => {
  useStrings({ lang: 'en', messages: {} });
  expect(t('client.nothing')).toBe('client.nothing');
});
