import { partCountFor, readJournalistKey, sealFile, sha256Hex, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { completeSubmission, createSubmission, fetchConfig, putManifest, putPart, UploadError, type DropConfig } from '../api/source.ts';

/** Something to send: a chosen file, or the typed message (a single-part text/plain submission). */
export type Item = { name: string; type: string; size: number; read(start: number, end: number): Promise<Uint8Array> };

export type Progress = (done: number, total: number) => void;

// Files up to this size are read a second time to hash them natively; larger ones are hashed
// incrementally in JS so that memory stays bounded whatever the size.
const NATIVE_DIGEST_MAX = 64 * 1024 * 1024;

export class Sender {
  /** The source's session; set once the source has a codename (new) or has logged in with it. */
  sourceToken: string | null = null;

  private constructor(
    public config: DropConfig,
    private recipients: PublicKey[],
  ) {}

  static async create(config: DropConfig): Promise<Sender> {
    return new Sender(config, await Sender.keysOf(config));
  }

  private static keysOf(config: DropConfig): Promise<PublicKey[]> {
    return Promise.all(config.keys.map(async (k) => (await readJournalistKey(k)).key));
  }

  /**
   * Sends one item. If the newsroom's keys changed while the page was open, the server refuses the
   * ciphertext (code wrong_recipients); the page then fetches the current keys and encrypts the item again, once.
   */
  async send(item: Item, progress: Progress): Promise<void> {
    try {
      await this.sendOnce(item, progress);
    } catch (error) {
      if (!(error instanceof UploadError && error.code === 'wrong_recipients')) throw error;
      this.config = await fetchConfig();
      this.recipients = await Sender.keysOf(this.config);
      await this.sendOnce(item, progress);
    }
  }

  /** Encrypts and uploads one item part by part; plaintext never leaves this function. */
  private async sendOnce(item: Item, progress: Progress): Promise<void> {
    const { partSize } = this.config;
    const total = partCountFor(item.size, partSize);
    if (!this.sourceToken) throw new Error('No source session.');
    const id = await createSubmission(total, this.sourceToken);
    const sealer = new SubmissionSealer({
      submission: id,
      name: item.name,
      type: item.type,
      recipients: this.recipients,
      partSize,
      ...(item.size <= NATIVE_DIGEST_MAX ? { wholeFileDigest: async () => sha256Hex(await item.read(0, item.size)) } : {}),
    });
    progress(0, total + 1);
    // The parts include the zero padding up to the file's size class (added on this device).
    let n = 0;
    for await (const ciphertext of sealFile(sealer, item.size, item.read)) {
      await putPart(id, ++n, ciphertext);
      progress(n, total + 1);
    }
    await putManifest(id, await sealer.sealManifest());
    await completeSubmission(id);
    progress(total + 1, total + 1);
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
  return { name: 'message.txt', type: 'text/plain; charset=utf-8', size: bytes.length, read: async (s, e) => bytes.slice(s, e) };
}
