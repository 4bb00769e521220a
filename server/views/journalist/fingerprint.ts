import { groupedSecret } from '../../../common/otpauth.ts';

/** A key fingerprint as people compare it aloud: 40 hex digits in groups of four (grouped like a TOTP secret). */
export const fingerprintGroups = (fp: string): string => groupedSecret(fp);
