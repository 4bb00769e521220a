import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { ADDED_WORDS, CODENAME_WORDLIST, codenameDigits, deriveSourceSecrets, EXCLUDED_WORDS, generateCodename, normaliseCodename, NotACodenameError, olderReading } from '../../common/codename.ts';
import { EFF_LARGE_WORDLIST } from '../../common/wordlist.ts';

describe('the EFF large wordlist', () => {
  test('is the published list, unchanged, and the module agrees with it', async () => {
    const text = await readFile(new URL('../../common/eff_large_wordlist.txt', import.meta.url));
    expect(createHash('sha256').update(text).digest('hex')).toBe('addd35536511597a02fa0a9ff1e5284677b8883b83e986e43f15a3db996b903e');
    const words = text.toString().trim().split('\n').map((l) => l.split('\t')[1]);
    expect(EFF_LARGE_WORDLIST).toEqual(words);
    expect(new Set(EFF_LARGE_WORDLIST).size).toBe(7776);
  });
});

const bitsOf = (n: number) => Array.from({ length: 7 }, (_, i) => Math.log2(n - i)).reduce((a, b) => a + b);

describe('the words a new codename never uses, and the words in their places (issue 25)', () => {
  test('the excluded words are list words and in WORDLIST.md', async () => {
    const doc = await readFile(new URL('../../common/WORDLIST.md', import.meta.url), 'utf8');
    expect(EXCLUDED_WORDS.size).toBeGreaterThan(50);
    for (const word of EXCLUDED_WORDS) {
      expect(EFF_LARGE_WORDLIST).toContain(word);
      expect(doc, word).toMatch(new RegExp(`\\b${word}\\b`));
    }
  });

  test('codenames are drawn from 7,776 different words again, none excluded, the added ones plain and prefix-free like the list, and at least 90.47 bits', async () => {
    expect(CODENAME_WORDLIST).toHaveLength(7776);
    expect(new Set(CODENAME_WORDLIST).size).toBe(7776);
    expect(CODENAME_WORDLIST.filter((w) => EXCLUDED_WORDS.has(w))).toEqual([]);
    expect(ADDED_WORDS).toHaveLength(EXCLUDED_WORDS.size);
    const known = [...EFF_LARGE_WORDLIST];
    for (const word of ADDED_WORDS) {
      expect(word).toMatch(/^[a-z]{3,9}$/);
      expect(CODENAME_WORDLIST).toContain(word);
      // Neither a prefix of any known word (the published list, excluded ones too) nor starting with one.
      expect(known.filter((w) => w.startsWith(word) || word.startsWith(w)), word).toEqual([]);
      known.push(word);
    }
    const bits = bitsOf(CODENAME_WORDLIST.length);
    expect(Number(bits.toFixed(2))).toBeGreaterThanOrEqual(90.47);
    const doc = await readFile(new URL('../../common/WORDLIST.md', import.meta.url), 'utf8');
    expect(doc).toContain(`${bits.toFixed(3)} bits`);
    for (const word of ADDED_WORDS) expect(doc, word).toMatch(new RegExp(`\\b${word}\\b`));
  });

  test('never appear in a new codename, no word repeats, and a codename made before with them still maps both ways', () => {
    for (let i = 0; i < 3000; i++) {
      const words = generateCodename().split(' ');
      expect(words.filter((w) => EXCLUDED_WORDS.has(w))).toEqual([]);
      expect(new Set(words).size).toBe(7);
    }
    const old = 'crazy lazy fool abacus abacus zoom nerd';
    expect(normaliseCodename(old)).toBe(old);
    const digits = codenameDigits(old);
    // Its digits now read first as added words; the older reading gives the codename back.
    expect(normaliseCodename(digits).split(' ').filter((w) => ADDED_WORDS.includes(w))).toHaveLength(4);
    expect(olderReading(digits)).toBe(old);
    expect(olderReading(old)).toBeNull();
    expect(olderReading(codenameDigits('abacus abdomen abdominal arousal dispute uncurled zoom'))).toBeNull();
  });
});

describe('codenames', () => {
  test('are seven words from the list, and differ each time', () => {
    const a = generateCodename();
    expect(a.split(' ')).toHaveLength(7);
    expect(a.split(' ').every((w) => CODENAME_WORDLIST.includes(w))).toBe(true);
    expect(generateCodename()).not.toBe(a);
  });

  test('typed variants normalise to one form; anything else is refused', () => {
    expect(normaliseCodename('  Abacus  ZOOM\tyoga yogurt\nyonder yoyo yummy ')).toBe('abacus zoom yoga yogurt yonder yoyo yummy');
    expect(normaliseCodename('yo-yo t-shirt felt-tip drop-down abacus zoom yoga').split(' ')).toHaveLength(7);
    expect(() => normaliseCodename('only three words')).toThrow(NotACodenameError);
  });

  test('derive two independent secrets, the same for the same codename and salt', async () => {
    const codename = 'abacus zoom yoga yogurt yonder yoyo yummy';
    const a = await deriveSourceSecrets(codename, 'aa');
    expect(a.loginSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(a.keyPassphrase).toMatch(/^[0-9a-f]{64}$/);
    expect(a.loginSecret).not.toBe(a.keyPassphrase);
    expect(await deriveSourceSecrets(codename.toUpperCase(), 'aa')).toEqual(a);
    expect((await deriveSourceSecrets(codename, 'bb')).loginSecret).not.toBe(a.loginSecret);
  });
});

describe('the digits form of a codename (for a source who cannot easily copy Latin letters)', () => {
  test('is the EFF list\'s own dice numbering, five digits per word, and maps back to the same words', () => {
    expect(codenameDigits('abacus abdomen abdominal arousal dispute uncurled zoom')).toBe('11111 11112 11113 12345 23515 63436 66666');
    for (let i = 0; i < 200; i++) {
      const codename = generateCodename();
      const digits = codenameDigits(codename);
      expect(digits).toMatch(/^[1-6]{5}( [1-6]{5}){6}$/);
      expect(normaliseCodename(digits)).toBe(codename);
    }
  });

  test('is accepted in any grouping and in Arabic-Indic, Extended Arabic-Indic or full-width digits', () => {
    const codename = 'dispute uncurled spruce scratch unreeling tribesman eggnog';
    const digits = codenameDigits(codename);
    const inScript = (base: number) => digits.replace(/\d/g, (d) => String.fromCharCode(base + Number(d)));
    for (const typed of [digits.replace(/ /g, ''), digits.replace(/ /g, '-'), ` ${digits.slice(0, 17)}\n${digits.slice(17)} `, inScript(0x0660), inScript(0x06f0), inScript(0xff10)]) {
      expect(normaliseCodename(typed)).toBe(codename);
    }
  });

  test('anything that is not exactly 35 dice digits is not taken for one', () => {
    const digits = codenameDigits(generateCodename()).replace(/ /g, '');
    expect(() => normaliseCodename(digits.slice(1))).toThrow(NotACodenameError); // 34 digits
    expect(() => normaliseCodename(`${digits.slice(1)}7`)).toThrow(NotACodenameError); // a 7 is no die
    expect(() => normaliseCodename(`${digits}1`)).toThrow(NotACodenameError);
  });
});
