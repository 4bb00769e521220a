// The enrolment URI an authenticator app reads (Google's Key Uri Format). Shared by the server,
// which draws the first QR code, and the setup page's script, which draws it again as the
// administrator types a username: both must give the app the very same label.

/** The issuer when the newsroom has not named itself yet. */
export const DEFAULT_ISSUER = 'Sealdrop';

// A colon separates issuer from account in the label: one inside either would split it wrongly.
const labelPart = (text: string) => text.replace(/:/g, ' ').replace(/\s+/g, ' ').trim();

/** The app shows "issuer (account)": the newsroom's name and the journalist's username. */
export function otpauthUri(secret: string, account: string, issuer: string = DEFAULT_ISSUER): string {
  const by = labelPart(issuer) || DEFAULT_ISSUER;
  const label = `${encodeURIComponent(by)}:${encodeURIComponent(labelPart(account))}`;
  return `otpauth://totp/${label}?issuer=${encodeURIComponent(by)}&secret=${secret}&algorithm=SHA1&digits=6&period=30`;
}

/** A base32 secret in groups of four, as people read and type it (apps ignore the spaces). */
export const groupedSecret = (secret: string): string => secret.match(/.{1,4}/g)?.join(' ') ?? '';
