import { renderSVG } from 'uqr';

/** The otpauth URI as an SVG QR code, made here: no external QR service ever sees the secret. */
export function renderSQR(text: string): string {
  return renderSVG(text, { ecc: 'M' }).replace('<svg ', '<svg role="img" aria-label="QR code for the authenticator app" width="220" height="220" ');
}
