import { escapeHtml } from '../escape.ts';
import { csrfField, staffPage, type Viewer } from './frame.ts';
import { fingerprintGroups } from './fingerprint.ts';
import type { Translator } from '../../i18n/index.ts';

/** What the form shows: the saved settings, or exactly what was typed when they were refused. */
export type AccountForm = { email: string; encrypt: boolean; lockMinutes: string };
export type AccountField = 'email' | 'encrypt' | 'passphrase' | 'lock' | 'keyPassphrase';
export type AccountError = { field: AccountField; message: string };
/** The journalist's own key: its fingerprint, and a replacement waiting for a second administrator (its fingerprint), if any. */
export type AccountKey = { fingerprint: string; pending: string | null };
export type AccountOptions = { t: Translator; viewer: Viewer; form: AccountForm; mailOn: boolean; windowMinutes: number; key: AccountKey; error?: AccountError };

const IDS: Record<AccountField, string> = { email: 'notify-email', encrypt: 'notify-encrypt', passphrase: 'account-passphrase', lock: 'lock-minutes', keyPassphrase: 'key-passphrase' };

/** The refusal beside the field it concerns, which names it (aria-describedby) and is marked invalid. */
const errorAt = (o: AccountOptions, field: AccountField) =>
  o.error?.field === field ? `\n<p class="warning field-error" id="${IDS[field]}-error" role="alert">${escapeHtml(o.error.message)}</p>` : '';
const describedBy = (o: AccountOptions, field: AccountField) => (o.error?.field === field ? ` aria-describedby="${IDS[field]}-error" aria-invalid="true"` : '');

function notices(o: AccountOptions): string {
  const { t, form } = o;
  const off = o.mailOn ? '' : `\n<p class="warning" id="mail-off">${t.html('staff.account.mailOff')}</p>`;
  return `<h2>${t.html('staff.account.noticesHeading')}</h2>
<p>${t.html('staff.account.noticesIntro', { minutes: o.windowMinutes })}</p>${off}
<p><label for="notify-email">${t.html('staff.account.email')}</label>
<input id="notify-email" name="email" type="email" dir="ltr" autocomplete="email" maxlength="254" value="${escapeHtml(form.email)}"${describedBy(o, 'email')}>${errorAt(o, 'email')}</p>
<p><label><input type="checkbox" id="notify-encrypt" name="encrypt" value="1"${form.encrypt ? ' checked' : ''}${describedBy(o, 'encrypt')}> ${t.html('staff.account.encrypt')}</label>${errorAt(o, 'encrypt')}</p>
<p><label for="account-passphrase">${t.html('staff.account.passphrase')}</label>
<input id="account-passphrase" name="passphrase" type="password" autocomplete="current-password" maxlength="1024"${describedBy(o, 'passphrase')}>${errorAt(o, 'passphrase')}</p>`;
}

/**
 * Replacing one's own key (issue 23): a `key` change, so where there are two administrators a second
 * one confirms it. Items sealed to the old key stay readable with it; "move my items to my new key"
 * (H-rewrap's part of this section) re-wraps them.
 */
function myKey(o: AccountOptions): string {
  const { t, key } = o;
  const pending = key.pending ? `\n<p class="warning" id="key-pending">${t.html('staff.access.myKey.pending', { fingerprint: fingerprintGroups(key.pending) })}</p>` : '';
  return `<section id="my-key" aria-labelledby="my-key-heading">
<h2 id="my-key-heading">${t.html('staff.access.myKey.heading')}</h2>
<p>${t.html('staff.access.myKey.current', { fingerprint: fingerprintGroups(key.fingerprint) })}</p>${pending}
<form method="post" action="/account/key" id="key-form">${csrfField(o.viewer.csrf)}
<p>${t.html('staff.access.myKey.intro')}</p>
<p><label for="new-key">${t.html('staff.access.myKey.new')}</label><textarea id="new-key" name="public_key" rows="6" dir="ltr" required></textarea></p>
<p><label for="key-passphrase">${t.html('staff.access.myKey.passphrase')}</label>
<input id="key-passphrase" name="passphrase" type="password" autocomplete="current-password" maxlength="1024" required${describedBy(o, 'keyPassphrase')}>${errorAt(o, 'keyPassphrase')}</p>
<p><button type="submit" id="key-replace">${t.html('staff.access.myKey.submit')}</button></p>
</form>
<div id="rotate-items-slot" hidden></div>
</section>`;
}

/** The journalist's own settings: where notices of new material go, and the idle auto-lock. */
export function renderAccount(o: AccountOptions): string {
  const { t } = o;
  return staffPage(
    t,
    t.text('staff.account.title'),
    `<h1>${t.html('staff.account.heading')}</h1>
<form method="post" action="/account" id="account-form">${csrfField(o.viewer.csrf)}
${notices(o)}
<h2>${t.html('staff.account.lockHeading')}</h2>
<p><label for="lock-minutes">${t.html('staff.account.lock')}</label>
<input id="lock-minutes" name="lock_minutes" inputmode="numeric" pattern="[0-9]{1,3}" maxlength="3" required dir="ltr" value="${escapeHtml(o.form.lockMinutes)}"${describedBy(o, 'lock')}>${errorAt(o, 'lock')}</p>
<p><button type="submit" id="account-save">${t.html('staff.account.save')}</button></p>
</form>
${myKey(o)}`,
    o.viewer,
  );
}
