import { escapeHtml } from '../../layout.ts';
import type { Viewer } from '../frame.ts';
import { renderSQR } from '../qr.ts';
import { adminPage } from './page.ts';
import type { Translator } from '../../../i18n/index.ts';

/** Where sources go: the onion address or, without one, the source listener's; the address to publish and a QR code of it. */
export function renderAddress({ t, viewer, address, onion }: { t: Translator; viewer: Viewer; address: string; onion: boolean }): string {
  return adminPage(t, viewer, 'address', `<p>${t.html(onion ? 'staff.onion.publish' : 'staff.admin.address.listener')}</p>
<p><code id="source-onion" class="onion-address" dir="ltr">${escapeHtml(address)}</code></p>
<figure class="qr">${renderSQR(address, t.text('staff.qr.onion'))}<figcaption>${t.html('staff.onion.qr')}</figcaption></figure>`);
}
