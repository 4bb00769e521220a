import { USERNAME_PATTERN } from '../../../common/ids.ts';
import { groupedSecret } from '../../../common/otpauth.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage } from './frame.ts';
import type { Translator } from '../../i18n/index.ts';

/** The form fields a refusal can be about; null: the form as a whole. */
export type EnrolField = 'username' | 'passphrase' | 'passphrase2' | 'code' | 'public_key';
export type EnrolError = { field: EnrolField | null; message: string };

export type EnrolPageOptions = {
  t: Translator;
  csrf: string;
  action: string;
  /** Set for the first administrator's setup: they choose a username and give a key too. */
  setup: boolean;
  username?: string;
  /** What a refused setup form carried back (never a passphrase). */
  kept?: { username?: string; publicKey?: string };
  totpSecret: string;
  totpUri: string;
  /** The authenticator's issuer (the newsroom's name), for the page script that redraws the QR code as a username is typed. */
  issuer: string;
  qrSvg: string;
  error?: EnrolError;
};

/** A refusal next to the field it concerns, and the field pointing at it (read with the field). */
const errorFor = (o: EnrolPageOptions, field: EnrolField) =>
  o.error?.field === field ? `\n<p class="warning field-error" id="${field}-error" role="alert">${escapeHtml(o.error.message)}</p>` : '';
const describedBy = (o: EnrolPageOptions, field: EnrolField) => (o.error?.field === field ? ` aria-describedby="${field}-error" aria-invalid="true"` : '');

const keySection = (o: EnrolPageOptions) => {
  const { t } = o;
  return `<h2>${t.html('staff.enrol.keyHeading')}</h2>
<p>${t.html('staff.enrol.keyIntro')}</p>
<p><label for="public_key">${t.html('staff.enrol.publicKey')}</label><textarea id="public_key" name="public_key" rows="6" dir="ltr" required${describedBy(o, 'public_key')}>${escapeHtml(o.kept?.publicKey ?? '')}</textarea></p>${errorFor(o, 'public_key')}
<fieldset id="keygen"><legend>${t.html('staff.enrol.keygen')}</legend>
<p>${t.html('staff.enrol.keygenIntro')}</p>
<p><label for="key_passphrase">${t.html('staff.enrol.keyPassphrase')}</label><input id="key_passphrase" type="password" autocomplete="new-password"></p>
<p><label for="key_passphrase2">${t.html('staff.enrol.keyPassphrase2')}</label><input id="key_passphrase2" type="password" autocomplete="new-password"></p>
<p><button type="button" id="generate-key">${t.html('staff.enrol.generate')}</button></p>
<p id="keygen-status" role="status"></p>
</fieldset>`;
};

function twoFactor(o: EnrolPageOptions): string {
  const { t } = o;
  // data-* let the setup page's script redraw the code with the username typed (the label the app shows).
  return `<h2>${t.html('staff.enrol.twoFactor')}</h2>
<p>${t.html('staff.enrol.twoFactorIntro')}</p>
<div class="qr" id="totp-qr" data-secret="${escapeHtml(o.totpSecret)}" data-issuer="${escapeHtml(o.issuer)}">${o.qrSvg}</div>
<p>${t.html('staff.enrol.secret')} <code id="totp-secret" class="totp-secret" dir="ltr">${escapeHtml(groupedSecret(o.totpSecret))}</code></p>
<p class="hint otpauth-uri" dir="ltr" id="totp-uri">${escapeHtml(o.totpUri)}</p>
<p><label for="code">${t.html('staff.enrol.code')}</label><input id="code" name="code" dir="ltr" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required${describedBy(o, 'code')}></p>${errorFor(o, 'code')}`;
}

export function renderEnrol(o: EnrolPageOptions): string {
  const { t } = o;
  const who = o.setup
    ? `<p><label for="username">${t.html('staff.username')}</label><input id="username" name="username" dir="ltr" autocomplete="username" pattern="${USERNAME_PATTERN}" required value="${escapeHtml(o.kept?.username ?? '')}"${describedBy(o, 'username')}></p>${errorFor(o, 'username')}`
    : `<p>${t.html('staff.enrol.account', { username: o.username ?? '' })}</p>`;
  const general = o.error && o.error.field === null ? `<p class="warning" role="alert">${escapeHtml(o.error.message)}</p>\n` : '';
  return staffPage(
    t,
    t.text(o.setup ? 'staff.enrol.setupTitle' : 'staff.enrol.title'),
    `<h1>${t.html(o.setup ? 'staff.enrol.setupHeading' : 'staff.enrol.title')}</h1>
${general}<form method="post" action="${escapeHtml(o.action)}" id="enrol">${csrfField(o.csrf)}
${who}
<p><label for="passphrase">${t.html('staff.enrol.passphrase')}</label>
<input id="passphrase" name="passphrase" type="password" autocomplete="new-password" minlength="14" required${describedBy(o, 'passphrase')}></p>${errorFor(o, 'passphrase')}
<p><label for="passphrase2">${t.html('staff.enrol.passphrase2')}</label><input id="passphrase2" name="passphrase2" type="password" autocomplete="new-password" required${describedBy(o, 'passphrase2')}></p>${errorFor(o, 'passphrase2')}
${twoFactor(o)}
${o.setup ? keySection(o) : ''}
<p><button type="submit">${t.html('staff.enrol.submit')}</button></p>
</form>`,
  );
}

/** Where a new administrator goes next: each step a link into the admin area (reached after logging in). */
export function renderCreated(t: Translator, o: { username: string; fingerprint: string }): string {
  const step = (href: string, key: string) => `<li><a href="${href}">${t.html(key)}</a></li>`;
  return staffPage(
    t,
    t.text('staff.notice.createdTitle'),
    `<h1>${t.html('staff.notice.createdTitle')}</h1>
<p class="created">${t.html('staff.notice.created', { username: o.username, fingerprint: o.fingerprint })}</p>
<h2>${t.html('staff.setup.nextHeading')}</h2>
<ol class="next-steps">
${step('/login', 'staff.setup.nextLogin')}
${step('/admin/journalists', 'staff.setup.nextColleagues')}
${step('/admin/branding', 'staff.setup.nextBranding')}
${step('/admin/address', 'staff.setup.nextAddress')}
</ol>`,
  );
}
