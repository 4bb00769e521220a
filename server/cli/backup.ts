import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { nativeHasher } from '../native-hash.ts';
import type { Snapshot, Store } from '../store/index.ts';
import { DATABASE_ENTRY, KEY_ENTRY, objectEntry } from '../store/backup.ts';
import { CliError, options } from './args.ts';
import { BACKUP_PART_SIZE, entryHeader, fileDigest, framed, MAGIC, trailer } from './backup-format.ts';
import { openCliStore, storeLocation } from './store.ts';

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

/** The snapshot as one stream of entries: the database, the key file, then every object it names. */
async function segmentsOf(snapshot: Snapshot, objectsDir: string): Promise<Segment[]> {
  const entry = (name: string, body: Segment) => [inMemory(entryHeader(name, body.size)), body];
  const segments = [...entry(DATABASE_ENTRY, inMemory(snapshot.database))];
  if (snapshot.keyFile) segments.push(...entry(KEY_ENTRY, inMemory(snapshot.keyFile)));
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

async function recipientsFor(store: Store, to: string | undefined): Promise<{ keys: PublicKey[]; names: string[] }> {
  if (to) return { keys: [(await readJournalistKey(await readFile(to, 'utf8'))).key], names: [path.basename(to)] };
  const active = store.journalists.active();
  if (active.length === 0) throw new CliError('No active journalist to encrypt the backup to: pass --to BACKUP-KEY.asc.');
  return { keys: await Promise.all(active.map(async (j) => (await readJournalistKey(j.publicKey)).key)), names: active.map((j) => j.username) };
}

/** Seals the snapshot into OUT (written beside it, then renamed: a cut-short backup is never taken for one). */
export async function writeBackup(store: Store, dataDir: string, out: string, recipients: PublicKey[]): Promise<{ objects: number; bytes: number }> {
  const snapshot = await store.snapshot();
  const segments = await segmentsOf(snapshot, path.join(dataDir, 'objects'));
  const size = segments.reduce((sum, s) => sum + s.size, 0);
  const sealer = new SubmissionSealer({ submission: randomBytes(16).toString('hex'), name: 'sealdrop-backup', type: 'application/x-sealdrop-backup', recipients, partSize: BACKUP_PART_SIZE, hasher: nativeHasher });
  const temp = `${out}.${randomBytes(6).toString('hex')}.partial`;
  const stream = createWriteStream(temp, { mode: 0o600 });
  const write = async (chunks: Buffer[]) => {
    for (const c of chunks) if (!stream.write(c)) await once(stream, 'drain');
  };
  try {
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
  return { objects: snapshot.objects.length, bytes: (await stat(out)).size };
}

export async function backupCommand(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, out: { type: 'string' }, to: { type: 'string' } }, ['out']);
  const store = openCliStore(o.data);
  const started = performance.now();
  try {
    const { keys, names } = await recipientsFor(store, o.to);
    const out = path.resolve(o.out!);
    const { objects, bytes } = await writeBackup(store, storeLocation(o.data).dataDir, out, keys);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`Backed up the database and ${objects} object(s) to ${out} (${(bytes / 1048576).toFixed(1)} MiB, ${seconds} s), encrypted to: ${names.join(', ')}.`);
    // Encryption needs only public keys, so it does not prove who made a file: this digest does, if kept apart.
    console.log(`SHA-256: ${await fileDigest(out)}`);
    console.log('Keep that digest apart from the backup. Restore with: sealdrop restore --in FILE --sha256 DIGEST --key PRIVATE-KEY.asc --data NEW-DIR');
  } finally {
    store.close();
  }
}

