import { paddedSize, partCountFor, readJournalistKey, sealFile, sha256Hex, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { fetchConfig, UploadError, type DropConfig, type Reserved, type SendAnswer, type SendHead } from '../api/source.ts';
import { toHex } from '../../common/envelope/hash.ts';
import { sendIdOf } from '../../common/send-id.ts';
import { Meter } from './meter.ts';
import { sealInWorkers } from './seal-pool.ts';
import { Upload, type Folding, type LinkState } from './upload.ts';
import { MESSAGE_NAME, MESSAGE_TYPE } from '../../common/messages.ts';
import { t } from '../i18n.ts';

/** Something to send: a chosen file, or the typed message (a single-part text/plain submission). */
export type Item = { name: string; type: string; size: number; read(start: number, end: number): Promise<Uint8Array> };

/** What the page shows while an item goes: its meter (read once a second) and the link's state. */
export type Watch = { started(meter: Meter): void; link(state: LinkState): void };

// Files up to this size are read a second time to hash them natively (WebCrypto); larger ones go
// without a whole-file digest: incremental hashing in JS would take most of an hour for 4 GiB in
// Tor Browser "Safer" (no JIT), and the part digests already cover every byte.
const NATIVE_DIGEST_MAX = 64 * 1024 * 1024;

/** Refused before anything is encrypted or sent: the server would refuse it anyway (the page words it: app.ts). */
export class TooLargeError extends Error {}

/**
 * Not sent, but the item may be held under its secret (`to`): it may have arrived with its answer lost, or be
 * partly held, and a refusal such as 507 (no space) ends nothing. Sent again under the same secret, the server
 * answers "done" rather than storing it twice, and keeps what it holds until the new parts replace it (the same
 * plaintext).
 */
export class NotSentError extends Error {
  constructor(
    message: string,
    readonly to: Reserved,
  ) {
    super(message);
  }
}

/** Not sent because the link was lost (or the server stayed unreachable). */
export class LinkLostError extends NotSentError {}

/** Refusals after which the secret reaches nothing worth sending again: no such item, or (after the one retry) the newsroom's keys changed. */
const endsItem = (error: UploadError): boolean => error.status === 404 || error.code === 'wrong_recipients';

export class Sender {
  /** The source's session; set once the source has a codename (new) or has logged in with it. */
  sourceToken: string | null = null;
  /** The desk a new source chose (two desks or more); null where there is nothing to choose. */
  desk: number | null = null;
  /** The source's own public key: each manifest is sealed to it too, so the conversation page can show the names. */
  ownKey: PublicKey | null = null;
  /** A new source's registration, sent with every request until the server answers with a session (then forgotten). */
  registration: SendHead['register'] | null = null;
  /** The send's items, opened by its first request (so that a restart, which ends sessions, cannot stop the others) until one is answered. */
  private unanswered: Reserved[] = [];

  /** What each request carries besides its own item (upload.ts). */
  readonly folding: Folding = {
    token: () => this.sourceToken,
    extra: (secret) => ({
      ...(this.registration ? { register: this.registration } : {}),
      ...(this.unanswered.length > 1 ? { reserve: this.unanswered.filter((r) => r.secret !== secret) } : {}),
    }),
    answered: (answer: SendAnswer) => {
      if (answer.sourceToken) this.sourceToken = answer.sourceToken;
      this.registration = null;
      this.unanswered = [];
    },
    awaiting: () => this.registration !== null,
  };

  private constructor(
    public config: DropConfig,
    private recipients: PublicKey[],
  ) {}

  static async create(config: DropConfig): Promise<Sender> {
    return new Sender(config, await Sender.keysOf(config.keys));
  }

  private static keysOf(keys: string[]): Promise<PublicKey[]> {
    return Promise.all(keys.map(async (k) => (await readJournalistKey(k)).key));
  }

  /** The new source's own key, as made on this device (identity.ts). */
  async keepOwnKey(armored: string): Promise<void> {
    this.ownKey = (await Sender.keysOf([armored]))[0]!;
  }

  /** A new source's choice among two desks or more: its members' keys only. False if `id` is none of them. */
  async chooseDesk(id: number): Promise<boolean> {
    const desk = this.config.desks?.find((d) => d.id === id);
    if (!desk) return false;
    this.recipients = await Sender.keysOf(desk.keys);
    this.desk = desk.id;
    return true;
  }

  /** Refuses an item the server would refuse for its size, before anything is encrypted or sent. */
  check(item: Item): void {
    const { maxFileBytes, maxParts, partSize } = this.config;
    if (item.size > maxFileBytes || partCountFor(item.size, partSize) > maxParts) {
      throw new TooLargeError();
    }
  }

  /** The secrets of a send's items, made here (or `kept`: an item's after a lost link or a refusal that ended nothing, NotSentError): its first request opens them all. */
  reserveAll(items: Item[], kept: (Reserved | undefined)[] = []): Reserved[] {
    this.unanswered = items.map((item, i) => {
      const before = kept[i];
      return before && before.parts === partCountFor(item.size, this.config.partSize) ? before : this.reserve(item);
    });
    return this.unanswered;
  }

  /** A new item: a secret made here (the server keeps its hash; it alone reaches the item) and the part count. */
  reserve(item: Item): Reserved {
    if (!this.sourceToken && !this.registration) throw new Error(t('client.noSession'));
    return { secret: toHex(crypto.getRandomValues(new Uint8Array(32))), parts: partCountFor(item.size, this.config.partSize) };
  }

  /**
   * Sends one item into a reserved submission. If the newsroom's keys changed while the page was open, the server refuses the
   * ciphertext (code wrong_recipients); the page then fetches the current keys and encrypts the item again, once.
   */
  async send(item: Item, to: Reserved, watch: Watch): Promise<void> {
    let current = to;
    try {
      try {
        await this.sendOnce(item, to, watch);
      } catch (error) {
        if (!(error instanceof UploadError && error.code === 'wrong_recipients')) throw error;
        await this.refreshKeys(error);
        // The retry opens a new item: the refused one's secret must not be reserved again by the send's next request.
        current = this.reserve(item);
        this.unanswered = this.unanswered.map((r) => (r.secret === to.secret ? current : r));
        await this.sendOnce(item, current, watch);
      }
    } catch (error) {
      // Failed for good: a later request re-opening its secret would leave an orphan pending item.
      this.unanswered = this.unanswered.filter((r) => r.secret !== current.secret);
      if (!(error instanceof UploadError) || endsItem(error)) throw error;
      throw error.retryable ? new LinkLostError(error.message, current) : new NotSentError(error.message, current);
    }
  }

  /** The newsroom's current keys. A new source (no session yet) is answered no keys, only the desks: its chosen desk's keys then. */
  private async refreshKeys(refused: Error): Promise<void> {
    this.config = await fetchConfig(this.sourceToken);
    if (!this.sourceToken && this.desk !== null) {
      if (!(await this.chooseDesk(this.desk))) throw refused;
    } else this.recipients = await Sender.keysOf(this.config.keys);
  }

  /** Encrypts and uploads one item part by part; plaintext never leaves this function. */
  private async sendOnce(item: Item, to: Reserved, watch: Watch): Promise<void> {
    const { partSize } = this.config;
    const sealer = new SubmissionSealer({
      submission: sendIdOf(to.secret),
      name: item.name,
      type: item.type,
      recipients: this.recipients,
      partSize,
      wholeFileDigest: item.size <= NATIVE_DIGEST_MAX ? async () => sha256Hex(await item.read(0, item.size)) : null,
      // Several parts: sealed side by side in Web Workers (seal-pool.ts); one part stays on the page, with no worker to fetch.
      encrypt: partCountFor(item.size, partSize) > 1 ? await sealInWorkers(this.recipients) : undefined,
    });
    // The parts include the zero padding up to the file's size class (added on this device).
    const padded = paddedSize(item.size);
    const meter = new Meter(padded, item.size);
    watch.started(meter);
    const upload = new Upload({ to, meter, folding: this.folding, onLink: watch.link });
    const plain = (n: number) => Math.min(partSize, padded - (n - 1) * partSize);
    let n = 0;
    try {
      // Up to IN_FLIGHT parts upload while the next ones are sealed (as many as the sealer's `parallel`: workers + 1); the last waits for the manifest and goes with it.
      for await (const ciphertext of sealFile(sealer, item.size, item.read)) {
        n++;
        if (n === to.parts) {
          await upload.finish(n, ciphertext, plain(n), await sealer.sealManifest(this.ownKey ? [this.ownKey] : []));
        } else await upload.add(n, ciphertext, plain(n));
      }
    } catch (error) {
      await upload.abandon();
      throw error;
    }
  }
}

export function fileItem(file: File): Item {
  return {
    name: file.name,
    type: file.type || 'application/octet-stream',
    size: file.size,
    read: async (start, end) => new Uint8Array(await file.slice(start, end).arrayBuffer()),
  };
}

export function messageItem(text: string): Item {
  const bytes = new TextEncoder().encode(text);
  return { name: MESSAGE_NAME, type: MESSAGE_TYPE, size: bytes.length, read: async (s, e) => bytes.slice(s, e) };
}
