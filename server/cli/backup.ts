import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { nativeHasher } from '../native-hash.ts';
import type { Snapshot, Store } from '../store/index.ts';
import { DATABASE_ENTRY, KEY_ENTRY, objectEntry, readKeyFile } from '../store/backup.ts';
import { CliError, options } from './args.ts';
import { BACKUP_PART_SIZE, BACKUP_TYPE, entryHeader, framed, KEY_FILE_TYPE, MAGIC, trailer } from './backup-format.ts';
import { withCliStore } from './store.ts';

type Segment = { size: number; read: (offset: number, length: number) => Promise<Uint8Array> };

const inMemory = (bytes: Uint8Array): Segment => ({ size: bytes.length, read: async (o, l) => bytes.subarray(o, o + l) });

function onDisk(file: string, size: number): Segment {
  return {
    size,
    async read(offset, length) {
      const handle = await open(file, 'r');
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        if (bytesRead !== length) throw new Error('An object changed while the backup ran; run the backup again.');
        return buffer;
      } finally {
        await handle.close();
      }
    },
  };
}

const entry = (name: string, body: Segment): Segment[] => [inMemory(entryHeader(name, body.size)), body];

/** The snapshot as one stream of entries: the database, the onion keys, then every object it names. */
async function segmentsOf(snapshot: Snapshot, objectsDir: string): Promise<Segment[]> {
  const segments = [...entry(DATABASE_ENTRY, inMemory(snapshot.database))];
  for (const t of snapshot.tor) segments.push(...entry(t.entry, inMemory(t.bytes)));
  for (const name of snapshot.objects) {
    const file = path.join(objectsDir, name);
    segments.push(...entry(objectEntry(name), onDisk(file, (await stat(file)).size)));
  }
  return segments;
}

/** Reads [start, end) of the concatenated segments (sealFile asks in order, one part at a time). */
function rangeReader(segments: Segment[]): (start: number, end: number) => Promise<Uint8Array> {
  return async (start, end) => {
    const out: Uint8Array[] = [];
    let base = 0;
    for (const s of segments) {
      const from = Math.max(start, base);
      const to = Math.min(end, base + s.size);
      if (from < to) out.push(await s.read(from - base, to - from));
      base += s.size;
      if (base >= end) break;
    }
    return Buffer.concat(out);
  };
}

export type Recipients = { keys: PublicKey[]; names: string[] };

/**
 * Active administrators only, or the one key given: a backup holds every journalist's passphrase
 * hash and the onion keys, which no ordinary journalist's key should open. Fingerprints are
 * derived from the keys themselves, never read from a column.
 */
async function recipientsFor(store: Store, to: string | undefined): Promise<Recipients> {
  if (to) {
    const key = await readJournalistKey(await readFile(to, 'utf8'));
    return { keys: [key.key], names: [`${path.basename(to)} ${key.fingerprint}`] };
  }
  const admins = store.journalists.active().filter((j) => j.isAdmin);
  if (admins.length === 0) throw new CliError('No active administrator to encrypt the backup to: pass --to BACKUP-KEY.asc.');
  const keys = await Promise.all(admins.map((j) => readJournalistKey(j.publicKey)));
  return { keys: keys.map((k) => k.key), names: admins.map((j, i) => `${j.username} (admin) ${keys[i]!.fingerprint}`) };
}

/**
 * Seals the entries into OUT (0600, written beside it, then renamed: a cut-short file is never taken
 * for one). The digest is of the bytes as they are written, never read back by path: whoever can
 * swap the file on a shared medium after the write cannot get their own digest printed.
 */
async function writeSealed(out: string, segments: Segment[], recipients: PublicKey[], type: string): Promise<{ bytes: number; sha256: string }> {
  const size = segments.reduce((sum, s) => sum + s.size, 0);
  const sealer = new SubmissionSealer({ submission: randomBytes(16).toString('hex'), name: 'sealdrop-backup', type, recipients, partSize: BACKUP_PART_SIZE, hasher: nativeHasher });
  const temp = `${out}.${randomBytes(6).toString('hex')}.partial`;
  const stream = createWriteStream(temp, { mode: 0o600, flags: 'wx' });
  const hash = createHash('sha256');
  let bytes = 0;
  const write = async (chunks: Buffer[]) => {
    for (const c of chunks) {
      hash.update(c);
      bytes += c.length;
      if (!stream.write(c)) await once(stream, 'drain');
    }
  };
  try {
    await once(stream, 'open');
    await chmod(temp, 0o600); // the umask may have taken bits away, never given any; this makes it exact
    await write([MAGIC]);
    for await (const part of sealFile(sealer, size, rangeReader(segments))) await write(framed(part));
    const manifest = await sealer.sealManifest();
    await write([...framed(manifest), trailer(manifest.length)]);
    stream.end();
    await once(stream, 'finish');
    await rename(temp, out);
  } catch (error) {
    stream.destroy();
    await rm(temp, { force: true });
    throw error;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** The database, its objects and the onion keys, sealed into OUT. */
export async function writeBackup(store: Store, dataDir: string, out: string, recipients: PublicKey[]): Promise<{ objects: number; onion: boolean; bytes: number; sha256: string }> {
  const snapshot = await store.snapshot();
  const written = await writeSealed(out, await segmentsOf(snapshot, path.join(dataDir, 'objects')), recipients, BACKUP_TYPE);
  return { objects: snapshot.objects.length, onion: snapshot.tor.length > 0, ...written };
}

const readers = (names: string[]) => `Anyone with the private key of one of these can read all of it:\n${names.map((n) => `  ${n}`).join('\n')}`;

async function backupData(store: Store, dataDir: string, out: string, r: Recipients): Promise<void> {
  const started = performance.now();
  const { objects, onion, bytes, sha256 } = await writeBackup(store, dataDir, out, r.keys);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`Backed up the database, ${objects} object(s)${onion ? ' and the onion service keys' : ''} to ${out} (${(bytes / 1048576).toFixed(1)} MiB, ${seconds} s).`);
  console.log('This file holds: every journalist\'s username, public key and Argon2id passphrase hash, and their TOTP secrets sealed under the key file (which this file does NOT hold);');
  console.log('sources\' public keys, locked private keys and login hashes; every submission and reply, still encrypted to the keys they were sent to;');
  console.log(onion ? 'and the onion services\' secret keys: whoever holds them can publish the drop\'s addresses.' : 'and no onion keys (this drop has none).');
  console.log(readers(r.names));
  // Encryption needs only public keys, so it does not prove who made a file: this digest does, if kept apart.
  console.log(`SHA-256: ${sha256}`);
  console.log('Keep that digest apart from the backup. Restore with: sealdrop restore --in FILE --sha256 DIGEST --key PRIVATE-KEY.asc --data NEW-DIR [--key-file-in KEY-FILE-EXPORT | --reset-2fa]');
  console.log('Without the key file, journalists\' two-factor secrets cannot be opened: export it apart (sealdrop backup --key-file --out FILE --to KEY.asc), or restore with --reset-2fa and enrol every journalist again.');
}

async function backupKeyFile(keyFile: string, out: string, r: Recipients): Promise<void> {
  const key = await readKeyFile(keyFile);
  if (!key) throw new CliError(`There is no key file at ${keyFile} yet (it is made when the server first starts): nothing to export.`);
  const { sha256 } = await writeSealed(out, entry(KEY_ENTRY, inMemory(key)), r.keys, KEY_FILE_TYPE);
  console.log(`Exported the TOTP key file ${keyFile} to ${out}.`);
  console.log('This file holds the key that seals every journalist\'s TOTP secret: together with a backup, it gives each journalist\'s second factor.');
  console.log(readers(r.names));
  console.log('Keep it apart from the backups: another medium, and better a key only another person holds (--to; restore then takes --key-file-key).');
  console.log(`SHA-256: ${sha256}`);
  console.log('Restore it with the backup: sealdrop restore ... --key-file-in FILE');
}

export async function backupCommand(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, out: { type: 'string' }, to: { type: 'string' }, 'key-file': { type: 'boolean' } }, ['out']);
  await withCliStore(o.data, async (store, { dataDir, keyFile }) => {
    const recipients = await recipientsFor(store, o.to);
    const out = path.resolve(o.out!);
    if (o['key-file']) await backupKeyFile(keyFile, out, recipients);
    else await backupData(store, dataDir, out, recipients);
    store.audit.append({ actor: 'cli', action: 'backup', detail: { what: o['key-file'] ? 'key file' : 'data', to: o.to ? 'backup key' : 'administrators' } });
  });
}
