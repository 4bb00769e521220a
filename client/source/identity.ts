import { generateSourceKeyPair } from '../../common/envelope/index.ts';
import { codenameDigits, deriveSourceSecrets, generateCodename } from '../../common/codename.ts';
import type { DropConfig, SendHead } from '../api/source.ts';
import { byId, show } from './ui.ts';
import { t } from '../i18n.ts';

/**
 * Shows the new codename and resolves once the source confirms they have written it down. The
 * button waits for `ready` too: the costly derivation runs while the person reads, not after.
 */
function confirmCodename(codename: string, ready: Promise<unknown>): Promise<void> {
  const panel = byId('codename-panel');
  const confirm = byId<HTMLInputElement>('codename-confirm');
  const next = byId<HTMLButtonElement>('codename-continue');
  byId('codename').textContent = codename;
  byId('codename-digits').textContent = codenameDigits(codename);
  confirm.checked = false;
  next.disabled = true;
  let made = false;
  const label = next.textContent;
  next.textContent = t('client.preparing');
  show(panel);
  const update = () => (next.disabled = !confirm.checked || !made);
  confirm.onchange = update;
  return new Promise((resolve, reject) => {
    // A derivation that fails ends the wait (app.ts shows the error), not a button that never wakes.
    ready.then(() => {
      made = true;
      next.textContent = label;
      update();
    }, () => {
      // The codename was never made usable: it leaves the screen so that nobody keeps it, the page
      // says what to do (the browser's own words would not), and the next codename's panel must
      // not open on this one's "Preparing…".
      next.textContent = label;
      panel.hidden = true;
      byId('codename').textContent = '';
      byId('codename-digits').textContent = '';
      reject(new Error(t('client.codenameFailed')));
    });
    next.onclick = () => {
      next.disabled = true;
      next.textContent = t('client.sending');
      resolve();
    };
  });
}

/**
 * A new source: the codename, its two derived secrets and the source's own key pair are all made
 * here, while the codename is shown. Nothing is sent from here: the first request of the send
 * carries the registration (the login secret, the public key and the passphrase-locked private
 * key); the key is dated at the epoch, so it does not say when the source first came.
 */
export async function newIdentity(config: DropConfig, desk: number | null): Promise<{ registration: NonNullable<SendHead['register']>; publicKey: string }> {
  const codename = generateCodename();
  const made = (async () => {
    const { loginSecret, keyPassphrase } = await deriveSourceSecrets(codename, config.kdfSalt);
    return { loginSecret, ...(await generateSourceKeyPair({ passphrase: keyPassphrase })) };
  })();
  await confirmCodename(codename, made);
  const { loginSecret, publicKey, privateKey } = await made;
  return { registration: { login: loginSecret, publicKey, privateKey, ...(desk === null ? {} : { desk }) }, publicKey };
}
