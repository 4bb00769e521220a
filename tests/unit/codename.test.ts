import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { deriveSourceSecrets, generateCodename, normaliseCodename, NotACodenameError } from '../../common/codename.ts';
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

describe('codenames', () => {
  test('are seven words from the list, and differ each time', () => {
    const a = generateCodename();
    expect(a.split(' ')).toHaveLength(7);
    expect(a.split(' ').every((w) => EFF_LARGE_WORDLIST.includes(w))).toBe(true);
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
