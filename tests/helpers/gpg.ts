import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A throw-away GnuPG home with one key, driven through the real gpg binary. */
export type GpgHome = {
  home: string;
  email: string;
  publicKeyFile: string;
  secretKeyFile: string;
  passphrase: string;
  /** gpg -d; resolves with the plaintext or rejects, never leaving output behind. */
  decrypt(file: string): Promise<Buffer>;
  cleanup(): Promise<void>;
};

export async function makeGpgHome(name: string, algo: 'default' | 'rsa3072-sign-only' | 'ed25519' = 'default'): Promise<GpgHome> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-gpg-'));
  const email = `${name}@newsroom.example`;
  const passphrase = `correct horse ${name}`;
  const env = { ...process.env, GNUPGHOME: home };
  const gpg = (args: string[]) => run('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', passphrase, ...args], { env, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  const [primary, usage] = algo === 'ed25519' ? ['ed25519', 'sign'] : algo === 'default' ? ['default', 'default'] : ['rsa3072', 'sign'];
  await gpg(['--quick-gen-key', `${name} <${email}>`, primary, usage, 'never']);
  if (algo === 'ed25519') await gpg(['--quick-add-key', await fingerprint(gpg, email), 'cv25519', 'encrypt', 'never']);
  const publicKeyFile = path.join(home, 'public.asc');
  const secretKeyFile = path.join(home, 'secret.asc');
  await writeFile(publicKeyFile, (await gpg(['--armor', '--export', email])).stdout);
  await writeFile(secretKeyFile, (await gpg(['--armor', '--export-secret-keys', email])).stdout);
  return {
    home,
    email,
    publicKeyFile,
    secretKeyFile,
    passphrase,
    async decrypt(file) {
      return (await gpg(['--decrypt', file])).stdout;
    },
    cleanup: () => rm(home, { recursive: true, force: true }),
  };
}

async function fingerprint(gpg: (a: string[]) => Promise<{ stdout: Buffer }>, email: string): Promise<string> {
  const out = (await gpg(['--with-colons', '--list-keys', email])).stdout.toString();
  return out.split('\n').find((l) => l.startsWith('fpr:'))!.split(':')[9]!;
}

export { readFile };

export type GpgManifest = { name: string; type: string; size: number; partCount: number; parts: string[]; sha256?: string };

/**
 * The README's recipe with gpg alone: the manifest (JSON, then padding spaces), each part in
 * order, the result cut to the manifest's size (the rest is zero padding) and checked against
 * the manifest's SHA-256.
 */
export async function gpgOpenSubmission(decrypt: (file: string) => Promise<Buffer>, dir: string): Promise<{ manifest: GpgManifest; plaintext: Buffer }> {
  const manifest = JSON.parse((await decrypt(path.join(dir, MANIFEST_FILE))).toString('utf8')) as GpgManifest;
  const parts: Buffer[] = [];
  for (let n = 1; n <= manifest.partCount; n++) parts.push(await decrypt(path.join(dir, partFileName(n))));
  const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  if (parts.some((p, i) => hex(p) !== manifest.parts[i])) throw new Error('a part does not match the manifest digest');
  const padded = Buffer.concat(parts);
  if (padded.subarray(manifest.size).some((b) => b !== 0)) throw new Error('data after the end of the file');
  const plaintext = padded.subarray(0, manifest.size);
  // A browser leaves the whole-file digest out for a large file; the part digests then cover it.
  if (manifest.sha256 !== undefined && hex(plaintext) !== manifest.sha256) throw new Error('the file does not match the manifest digest');
  return { manifest, plaintext };
}
