import { renderSVG } from 'uqr';
import { escapeHtml } from '../escape.ts';

/** A QR code as SVG, made here (no external QR service ever sees a secret); `label` says what it encodes. */
export function renderSQR(text: string, label: string): string {
  return renderSVG(text, { ecc: 'M' }).replace('<svg ', `<svg role="img" aria-label="${escapeHtml(label)}" width="220" height="220" `);
}
