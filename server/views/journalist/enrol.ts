import { USERNAME_PATTERN } from '../../../common/ids.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage } from './frame.ts';

export type EnrolPageOptions = {
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

const KEY_SECTION = `<h2>Your OpenPGP key</h2>
<p>Submissions are encrypted to your public key; only your private key, which never leaves your devices, can
decrypt them. Paste a public key exported from GnuPG (<code>gpg --armor --export you@example.org</code>), or
make one in this browser.</p>
<p><label for="public_key">Public key</label><textarea id="public_key" name="public_key" rows="6" required></textarea></p>
<fieldset id="keygen"><legend>Or make a key in this browser</legend>
<p>The private key is generated here, protected by the passphrase you give below, and saved as a file on this
device. It is never sent anywhere: these two fields are not part of the form.</p>
<p><label for="key_passphrase">Key passphrase (different from your login passphrase)</label><input id="key_passphrase" type="password" autocomplete="new-password"></p>
<p><label for="key_passphrase2">Key passphrase again</label><input id="key_passphrase2" type="password" autocomplete="new-password"></p>
<p><button type="button" id="generate-key">Generate and save my private key</button></p>
<p id="keygen-status" role="status"></p>
</fieldset>`;

export function renderEnrol(o: EnrolPageOptions): string {
  const who = o.setup
    ? `<p><label for="username">Username</label><input id="username" name="username" autocomplete="username" pattern="${USERNAME_PATTERN}" required></p>`
    : `<p>Account: <strong>${escapeHtml(o.username ?? '')}</strong></p>`;
  return staffPage(
    o.setup ? 'Set up Sealdrop' : 'Set up your account',
    `<h1>${o.setup ? 'Set up the first administrator' : 'Set up your account'}</h1>
${o.error ? `<p class="warning" role="alert">${escapeHtml(o.error)}</p>` : ''}
<form method="post" action="${escapeHtml(o.action)}" id="enrol">${csrfField(o.csrf)}
${who}
<p><label for="passphrase">Login passphrase (14 characters or more; several unrelated words work well)</label>
<input id="passphrase" name="passphrase" type="password" autocomplete="new-password" minlength="14" required></p>
<p><label for="passphrase2">Login passphrase again</label><input id="passphrase2" name="passphrase2" type="password" autocomplete="new-password" required></p>
<h2>Two-factor authentication</h2>
<p>Add this account to an authenticator app by scanning the code, or type the secret by hand.</p>
<div class="qr">${o.qrSvg}</div>
<p>Secret: <code id="totp-secret">${escapeHtml(o.totpSecret)}</code></p>
<p class="hint">${escapeHtml(o.totpUri)}</p>
<p><label for="code">Code the app shows now</label><input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required></p>
${o.setup ? KEY_SECTION : ''}
<p><button type="submit">Create account</button></p>
</form>`,
  );
}
