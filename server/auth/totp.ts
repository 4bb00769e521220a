import { timingSafeEqual } from 'node:crypto';
import { HOTP, Secret } from 'otpauth';

// RFC 6238 TOTP: HMAC-SHA1, 30-second steps, 6 digits (what every authenticator app speaks).
// The arithmetic and the base32 come from a maintained library (otpauth); this module keeps
// Sealdrop's own rules on top: one step of drift either way, and the step returned so that the
// caller can refuse a code used twice.
const STEP_SECONDS = 30;
const DIGITS = 6;
const PARAMS = { algorithm: 'SHA1', digits: DIGITS } as const;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function base32Encode(bytes: Uint8Array): string {
  return Secret.fromHex(Buffer.from(bytes).toString('hex')).base32;
}

/** Decodes a base32 secret; throws on anything that is not base32. */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, '').toUpperCase();
  if (!/^[A-Z2-7]*$/.test(clean)) throw new Error('Invalid base32.');
  return Buffer.from(Secret.fromBase32(clean).bytes);
}

export function totpCode(secret: string, step: number): string {
  return HOTP.generate({ ...PARAMS, secret: Secret.fromBase32(secret), counter: step });
}

export function currentStep(now: number = Date.now()): number {
  return Math.floor(now / 1000 / STEP_SECONDS);
}

/** The step a code matches (one step of clock drift either way), or null. */
export function matchingStep(secret: string, code: string, now: number = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const step = currentStep(now);
  for (const candidate of [step, step - 1, step + 1]) {
    if (timingSafeEqual(Buffer.from(totpCode(secret, candidate)), Buffer.from(code))) return candidate;
  }
  return null;
}

/** See common/otpauth.ts: the issuer is the newsroom's name, the account the username. */
export { otpauthUri } from '../../common/otpauth.ts';
