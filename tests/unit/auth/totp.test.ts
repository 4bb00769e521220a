import { describe, expect, test } from 'vitest';
import { base32Decode, base32Encode, currentStep, matchingStep, newTotpSecret, otpauthUri, totpCode } from '../../../server/auth/totp.ts';

// RFC 6238, appendix B: the SHA-1 secret is the ASCII "12345678901234567890"; the RFC prints
// 8 digits, of which an authenticator app shows the last 6.
const RFC_SECRET = base32Encode(new TextEncoder().encode('12345678901234567890'));
const VECTORS: [number, string][] = [
  [59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'],
  [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130'],
];

describe('TOTP (RFC 6238) through the library', () => {
  test.each(VECTORS)('at %i s the code is the last six digits of %s', (seconds, eight) => {
    expect(totpCode(RFC_SECRET, currentStep(seconds * 1000))).toBe(eight.slice(2));
  });

  test('one step of drift either way is accepted, and the matching step is returned; two steps are not', () => {
    const now = 1_234_567_890_000;
    const step = currentStep(now);
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, step - 1), now)).toBe(step - 1);
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, step + 1), now)).toBe(step + 1);
    expect(matchingStep(RFC_SECRET, totpCode(RFC_SECRET, step + 2), now)).toBeNull();
    expect(matchingStep(RFC_SECRET, '12345', now)).toBeNull();
    expect(matchingStep(RFC_SECRET, 'abcdef', now)).toBeNull();
  });

  test('secrets are 160 random bits in base32, and the enrolment URI names the issuer and the secret', () => {
    const secret = newTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(base32Decode(secret)).toHaveLength(20);
    expect(newTotpSecret()).not.toBe(secret);
    expect(() => base32Decode('not base32!')).toThrow(/base32/);
    const uri = new URL(otpauthUri(secret, 'jo'));
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('secret')).toBe(secret);
    expect(uri.searchParams.get('issuer')).toBe('Sealdrop');
    expect(uri.searchParams.get('digits')).toBe('6');
    expect(uri.searchParams.get('period')).toBe('30');
  });
});
