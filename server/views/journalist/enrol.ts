import { USERNAME_PATTERN } from '../../../common/ids.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage } from './frame.ts';
import type { Translator } from '../../i18n/index.ts';

export type EnrolPageOptions = {
  t: Translator;
  csrf: string;
  action: string;
  /** Set for the first administrator's setup: they choose a username and give a key too. */
  setup: boolean;
  username?: string;
  totpSecret: string;
  totpUri: string;
  qrSvg: string;
  error?: string;
};

const keySection = (t: Translator) => `<h2>${t.html('staff.enrol.keyHeading')}</h2>
<p>${t.html('staff.enrol.keyIntro')}</p>
<p><label for="public_key">${t.html('staff.enrol.publicKey')}</label><textarea id="public_key" name="public_key" rows="6" dir="ltr" required></textarea></p>
<fieldset id="keygen"><legend>${t.html('staff.enrol.keygen')}</legend>
<p>${t.html('staff.enrol.keygenIntro')}</p>
<p><label for="key_passphrase">${t.html('staff.enrol.keyPassphrase')}</label><input id="key_passphrase" type="password" autocomplete="new-password"></p>
<p><label for="key_passphrase2">${t.html('staff.enrol.keyPassphrase2')}</label><input id="key_passphrase2" type="password" autocomplete="new-password"></p>
<p><button type="button" id="generate-key">${t.html('staff.enrol.generate')}</button></p>
<p id="keygen-status" role="status"></p>
</fieldset>`;

export function renderEnrol(o: EnrolPageOptions): string {
  const { t } = o;
  const who = o.setup
    ? `<p><label for="username">${t.html('staff.username')}</label><input id="username" name="username" dir="ltr" autocomplete="username" pattern="${USERNAME_PATTERN}" required></p>`
    : `<p>${t.html('staff.enrol.account', { username: o.username ?? '' })}</p>`;
  return staffPage(
    t,
    t.text(o.setup ? 'staff.enrol.setupTitle' : 'staff.enrol.title'),
    `<h1>${t.html(o.setup ? 'staff.enrol.setupHeading' : 'staff.enrol.title')}</h1>
${o.error ? `<p class="warning" role="alert">${escapeHtml(o.error)}</p>` : ''}
<form method="post" action="${escapeHtml(o.action)}" id="enrol">${csrfField(o.csrf)}
${who}
<p><label for="passphrase">${t.html('staff.enrol.passphrase')}</label>
<input id="passphrase" name="passphrase" type="password" autocomplete="new-password" minlength="14" required></p>
<p><label for="passphrase2">${t.html('staff.enrol.passphrase2')}</label><input id="passphrase2" name="passphrase2" type="password" autocomplete="new-password" required></p>
<h2>${t.html('staff.enrol.twoFactor')}</h2>
<p>${t.html('staff.enrol.twoFactorIntro')}</p>
<div class="qr">${o.qrSvg}</div>
<p>${t.html('staff.enrol.secret')} <code id="totp-secret" dir="ltr">${escapeHtml(o.totpSecret)}</code></p>
<p class="hint" dir="ltr">${escapeHtml(o.totpUri)}</p>
<p><label for="code">${t.html('staff.enrol.code')}</label><input id="code" name="code" dir="ltr" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required></p>
${o.setup ? keySection(t) : ''}
<p><button type="submit">${t.html('staff.enrol.submit')}</button></p>
</form>`,
  );
}
