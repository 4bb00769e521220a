import { describe, expect, test } from 'vitest';
import { checkPassphraseStrength, WeakPassphraseError } from '../../../server/auth/passwords.ts';
import { cpuMs } from '../../helpers/cpu-time.ts';

describe('passphrase strength (zxcvbn on top of the length rule)', () => {
  // Each is 14+ characters with 6+ distinct ones: the old hand rules let every one of them through.
  test.each(['password1234567', 'qwertyuiopasdfgh', '1234567890abcdef', 'Summer2024Summer2024'])(
    'refuses %s, which a guesser tries early',
    (passphrase) => {
      expect(() => checkPassphraseStrength(passphrase, 'alice')).toThrow(WeakPassphraseError);
    },
  );

  test.each(['orchard lantern basalt quiver 42', 'he reads the tide tables at dawn', 'correcthorsebatterystaple'])('accepts %s: several unrelated words', (passphrase) => {
    expect(() => checkPassphraseStrength(passphrase, 'alice')).not.toThrow();
  });

  test('keeps the length, repetition and username rules, and stays fast on the longest input', () => {
    expect(() => checkPassphraseStrength('short words', 'alice')).toThrow(/at least 14/);
    expect(() => checkPassphraseStrength('aaaaaaabbbbbbbcc', 'alice')).toThrow(/too few characters/);
    expect(() => checkPassphraseStrength('alice reads the tide tables', 'alice')).toThrow(/username/);
    const { ms } = cpuMs(() => expect(() => checkPassphraseStrength(`${'orchard lantern basalt quiver '.repeat(34)}`.slice(0, 1024), 'alice')).not.toThrow());
    expect(ms).toBeLessThan(2_000); // CPU time: a loaded machine's waits do not count
  });
});
