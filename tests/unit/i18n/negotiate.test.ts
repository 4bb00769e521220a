import fc from 'fast-check';
import { expect, test } from 'vitest';
import { isLanguage, LANGUAGES, negotiate } from '../../../common/i18n/languages.ts';
import { cpuMs } from '../../helpers/cpu-time.ts';

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
  // 24 MB, made flat (through a Buffer) so that flattening a rope is not counted as negotiate's
  // work: reading it all (splitting every range) costs 185-325 ms of CPU, the first 1 KiB 0.4 ms.
  const hostile = Buffer.from(`${'zh-TW;q=0.1,'.repeat(2_000_000)}ug`).toString('latin1');
  const { value, ms } = cpuMs(() => negotiate(hostile));
  expect(value).toBe('zh-Hant'); // ranges past the first 1 KiB are never read
  expect(ms).toBeLessThan(50); // CPU time: a loaded machine's waits do not count
  expect(LANGUAGES.find((l) => l.tag === 'ug')?.dir).toBe('rtl');
});
