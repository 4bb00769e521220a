import type { Store } from '../store/index.ts';
import { clientAuthLine, newClientAuth } from './keys.ts';
import { reloadTor } from './process.ts';
import { addressOf, onionsEnabled, writeAuthorizedClients } from './services.ts';

/**
 * Who may reach the journalist onion service. Each journalist device holds an x25519 key; the
 * server keeps only the public half (in the journalists table and tor's `authorized_clients/`),
 * and shows the private half once, with the enrolment link that needs it. A disabled or removed
 * journalist's key leaves `authorized_clients/` at once and tor is told to re-read it.
 */
export class OnionAccess {
  // The first administrator's key, made with the setup link and, like it, kept in memory only.
  private setupKey: string | null = null;

  constructor(
    private readonly dataDir: string,
    private readonly store: Store,
  ) {}

  get enabled(): boolean {
    return onionsEnabled(this.dataDir);
  }

  /** The journalist interface's address for links printed by the CLI ("/" without onion services). */
  get journalistUrl(): string {
    const onion = addressOf(this.dataDir, 'journalist');
    return onion ? `http://${onion}/` : '/';
  }

  /** A new key for this journalist, replacing any older one: the line their Tor Browser needs, or null without onions. */
  issue(journalistId: number): string | null {
    if (!this.enabled) return null;
    const pair = newClientAuth();
    this.store.journalists.setOnionAuth(journalistId, pair.publicKey);
    this.sync();
    return clientAuthLine(addressOf(this.dataDir, 'journalist')!, pair.privateKey);
  }

  /** The key that comes with the first-run setup link; it becomes the first administrator's. */
  issueForSetup(): string | null {
    if (!this.enabled) return null;
    const pair = newClientAuth();
    this.setupKey = pair.publicKey;
    this.sync();
    return clientAuthLine(addressOf(this.dataDir, 'journalist')!, pair.privateKey);
  }

  /** Setup is done: the setup key is now that administrator's, and nobody else's. */
  claimSetup(journalistId: number): void {
    if (!this.setupKey) return;
    this.store.journalists.setOnionAuth(journalistId, this.setupKey);
    this.setupKey = null;
    this.sync();
  }

  /** Writes tor's client list from the database and asks a running tor to re-read it. */
  sync(): void {
    if (!this.enabled) return;
    const keys = this.store.journalists.onionAuthKeys();
    if (this.setupKey && this.store.journalists.count() === 0) keys.set('setup', this.setupKey);
    writeAuthorizedClients(this.dataDir, keys);
    reloadTor(this.dataDir);
  }
}
