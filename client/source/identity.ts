import { generateSourceKeyPair } from '../../common/envelope/index.ts';
import { codenameDigits, deriveSourceSecrets, generateCodename } from '../../common/codename.ts';
import { registerSource, type DropConfig } from '../api/source.ts';
import { byId, show } from './ui.ts';
import { t } from '../i18n.ts';

/** Shows the new codename and resolves once the source confirms they have written it down. */
function confirmCodename(codename: string): Promise<void> {
  const panel = byId('codename-panel');
  const confirm = byId<HTMLInputElement>('codename-confirm');
  const next = byId<HTMLButtonElement>('codename-continue');
  byId('codename').textContent = codename;
  byId('codename-digits').textContent = codenameDigits(codename);
  confirm.checked = false;
  next.disabled = true;
  show(panel);
  confirm.onchange = () => (next.disabled = !confirm.checked);
  return new Promise((resolve) => {
    next.onclick = () => {
      next.disabled = true;
      next.textContent = t('client.preparing');
      resolve();
    };
  });
}

/**
 * A new source: the codename, its two derived secrets and the source's own key pair are all made
 * here. The server receives the login secret, the public key and the passphrase-locked private key;
 * the key is dated at the epoch, so it does not say when the source first came.
 */
export async function newIdentity(config: DropConfig, desk: number | null): Promise<{ token: string; publicKey: string }> {
  const codename = generateCodename();
  await confirmCodename(codename);
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(codename, config.kdfSalt);
  const { publicKey, privateKey } = await generateSourceKeyPair({ passphrase: keyPassphrase });
  const token = await registerSource(loginSecret, publicKey, privateKey, desk);
  byId('codename-continue').textContent = t('client.sending');
  return { token, publicKey };
}
