import fc from 'fast-check';
import { expect, test } from 'vitest';
import { isLanguage, LANGUAGES, negotiate } from '../../../common/i18n/languages.ts';

test.each([
  [undefined, 'en'],
  ['en-US,en;q=0.5', 'en'], // Tor Browser's default, whatever the reader's own language
  ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-Hans'],
  ['zh', 'zh-Hans'],
  ['zh-SG', 'zh-Hans'],
  ['zh-TW,zh;q=0.9', 'zh-Hant'],
  ['zh-HK', 'zh-Hant'],
  ['zh-Hant-TW', 'zh-Hant'],
  ['zh-Hans-HK', 'zh-Hans'],
  ['ug-CN,ug;q=0.9,zh;q=0.5', 'ug'],
  ['fr-FR,ug;q=0.7,en;q=0.3', 'ug'],
  ['en;q=0.2,zh-TW;q=0.9', 'zh-Hant'],
  ['de, fr', 'en'],
  ['ug;q=0, zh', 'zh-Hans'],
  ['ug;q=abc', 'en'],
])('Accept-Language %j → %s', (header, expected) => {
  expect(negotiate(header)).toBe(expected);
});

test('any header, however long or malformed, gives a shipped language in bounded time', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 4000 }), (header) => {
      expect(isLanguage(negotiate(header))).toBe(true);
    }),
  );
  const hostile = `${'zh-TW;q=0.1,'.repeat(200_000)}ug`;
  const start = performance.now();
  expect(negotiate(hostile)).toBe('zh-Hant'); // ranges past the first 1 KiB are never read
  expect(performance.now() - start).toBeLessThan(50);
  expect(LANGUAGES.find((l) => l.tag === 'ug')?.dir).toBe('rtl');
});
