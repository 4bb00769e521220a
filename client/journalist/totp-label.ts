import { renderSVG } from 'uqr';
import { otpauthUri } from '../../common/otpauth.ts';

// Setup page: the server drew the QR code before a username was typed. The authenticator app
// shows the label the code carries (the newsroom's name and the username), so the code is drawn
// again, here, from the same secret as the username changes. Nothing is sent anywhere.

function redraw(box: HTMLElement, username: string): void {
  const old = box.querySelector('svg');
  const uri = otpauthUri(box.dataset.secret ?? '', username || 'administrator', box.dataset.issuer ?? '');
  const svg = new DOMParser().parseFromString(renderSVG(uri, { ecc: 'M' }), 'image/svg+xml').documentElement;
  for (const name of ['role', 'aria-label', 'width', 'height']) {
    const value = old?.getAttribute(name);
    if (value) svg.setAttribute(name, value);
  }
  box.replaceChildren(document.importNode(svg, true));
  const text = document.getElementById('totp-uri');
  if (text) text.textContent = uri;
}

/** Safe to call on every page and swap: it wires the setup page's username field once. */
export function wireTotpLabel(root: ParentNode): void {
  const box = root.querySelector<HTMLElement>('#totp-qr');
  const input = root.querySelector<HTMLInputElement>('#username');
  if (!box || !input || box.dataset.wired) return;
  box.dataset.wired = '1';
  input.addEventListener('input', () => redraw(box, input.value.trim()));
}
