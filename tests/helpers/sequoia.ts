import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A journalist key made by Sequoia's own `sq` (v4, Ed25519 + cv25519, as its users make one), and `sq decrypt` with it. */
export type SqKey = {
  publicKey: string;
  /** sq decrypt; resolves with the plaintext or rejects, never leaving output behind. */
  decrypt(file: string): Promise<Buffer>;
  cleanup(): Promise<void>;
};

export async function makeSqKey(name: string): Promise<SqKey> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-sq-'));
  const keyFile = path.join(dir, 'key.pgp');
  const certFile = path.join(dir, 'cert.asc');
  await run('sq', ['key', 'generate', '--userid', `<${name}@newsroom.example>`, '--cipher-suite', 'cv25519', '--export', keyFile]);
  await run('sq', ['key', 'extract-cert', '--output', certFile, keyFile]);
  return {
    publicKey: await readFile(certFile, 'utf8'),
    // Sequoia withholds the last 25 MiB of output until the whole message is authenticated, and
    // exits non-zero on tampering: the exit code is what the caller must trust.
    decrypt: async (file) => (await run('sq', ['decrypt', '--recipient-key', keyFile, file], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 })).stdout,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
