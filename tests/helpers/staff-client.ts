import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { hashPassphrase } from '../../server/auth/passwords.ts';
import { currentStep, newTotpSecret, totpCode } from '../../server/auth/totp.ts';
import type { Instance } from './instance.ts';

/** A journalist account made straight in the store, with a known passphrase and TOTP secret. */
export async function makeAccount(instance: Instance, username: string, o: { isAdmin?: boolean; publicKey?: string } = {}) {
  const pair = o.publicKey ? { publicKey: o.publicKey, privateKey: '' } : await generateKeyPair({ name: username });
  const key = await readJournalistKey(pair.publicKey);
  const j = instance.store.journalists.add({ username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: o.isAdmin ?? false });
  const passphrase = `${username} walks past seven quiet harbours`;
  const secret = newTotpSecret();
  instance.store.journalists.setCredentials(j.id, { passwordHash: await hashPassphrase(passphrase), totpSecret: secret });
  return { ...j, passphrase, secret, privateKey: pair.privateKey, code: (offset = 0) => totpCode(secret, currentStep() + offset) };
}

/** An account made straight in the store, logged in on a client of its own that has loaded a page (so it holds a CSRF token). */
export async function loggedIn(instance: Instance, username: string, o: { isAdmin?: boolean } = {}) {
  const account = await makeAccount(instance, username, o);
  const client = new StaffClient(instance.journalistUrl);
  const res = await client.login(username, account.passphrase, account.code());
  if (res.status !== 303) throw new Error(`logging in as ${username} answered ${res.status}`);
  await client.get('/');
  return { account, client };
}

/** A browser-like HTTP client for the journalist listener: keeps its cookie, reads CSRF tokens. */
export class StaffClient {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  async get(path: string): Promise<Response> {
    const res = await fetch(`${this.base}${path}`, { headers: this.headers(), redirect: 'manual' });
    return this.remember(res);
  }

  async post(path: string, fields: Record<string, string>, extra: Record<string, string> = {}): Promise<Response> {
    const body = new URLSearchParams(fields).toString();
    // An empty value in `extra` leaves that header out altogether.
    const merged: Record<string, string> = { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...extra };
    const headers = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== ''));
    return this.remember(await fetch(`${this.base}${path}`, { method: 'POST', headers, body, redirect: 'manual' }));
  }

  /** Visits /login for a session and its CSRF token, then logs in. */
  async login(username: string, passphrase: string, code: string): Promise<Response> {
    await this.get('/login');
    return this.post('/login', { csrf: this.csrf, username, passphrase, code });
  }

  private headers(): Record<string, string> {
    return this.cookie ? { cookie: this.cookie } : {};
  }

  private async remember(res: Response): Promise<Response> {
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!.endsWith('=') ? '' : set.split(';')[0]!;
    if ((res.headers.get('content-type') ?? '').includes('html')) {
      const text = await res.clone().text();
      const m = /name="csrf" value="([^"]+)"|id="csrf-token" value="([^"]+)"/.exec(text);
      if (m) this.csrf = (m[1] ?? m[2])!;
    }
    return res;
  }
}
