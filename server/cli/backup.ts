import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { openManifest, openSubmission, readJournalistKey, readPrivateKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { nativeHasher } from '../native-hash.ts';
import { openStore, type Snapshot, type Store } from '../store/index.ts';
import { DATABASE_ENTRY, KEY_ENTRY, objectEntry, RestoreWriter } from '../store/backup.ts';
import { CliError, options } from './args.ts';
import { BackupFormatError, BackupReader, entryHeader, EntryParser, framed, MAGIC, trailer } from './backup-format.ts';
import { openCliStore, storeLocation } from './store.ts';

const PART_SIZE = 4 * 1024 * 1024;
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
  const sealer = new SubmissionSealer({ submission: randomBytes(16).toString('hex'), name: 'sealdrop-backup', type: 'application/x-sealdrop-backup', recipients, partSize: PART_SIZE, hasher: nativeHasher });
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
    console.log('Restore it with: sealdrop restore --in FILE --key PRIVATE-KEY.asc --data NEW-DIR');
  } finally {
    store.close();
  }
}

/** Decrypts and checks a backup into a new data directory; on any failure nothing is left behind. */
export async function restoreBackup(file: string, dataDir: string, key: Awaited<ReturnType<typeof readPrivateKey>>): Promise<{ objects: number }> {
  if ((await readdir(dataDir).catch(() => [])).length > 0) throw new CliError(`${dataDir} is not empty: restore into a new directory.`);
  const partial = `${dataDir}.${randomBytes(6).toString('hex')}.restoring`;
  const reader = await BackupReader.open(file);
  try {
    await mkdir(partial, { mode: 0o700 });
    const manifest = await openManifest({ data: reader.manifest, keys: [key] });
    if (manifest.type !== 'application/x-sealdrop-backup') throw new BackupFormatError('This is a submission, not a Sealdrop backup.');
    const writer = new RestoreWriter(partial);
    const parser = new EntryParser(writer);
    await openSubmission({ manifest, keys: [key], readPart: () => reader.nextPart(), write: (b) => parser.push(b), hasher: nativeHasher });
    parser.finish();
    await writer.end();
    if ((await reader.nextPart()) !== null) throw new BackupFormatError('This backup is damaged: it holds more parts than its manifest.');
    const objects = await checkRestored(partial);
    await rm(dataDir, { recursive: true, force: true });
    await rename(partial, dataDir);
    return { objects };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    await reader.close();
  }
}

/** The rebuilt directory opens, passes SQLite's integrity check, and has every object its rows name. */
async function checkRestored(dir: string): Promise<number> {
  const store = openStore(dir, { keyFile: path.join(dir, KEY_ENTRY) });
  try {
    if (store.integrity() !== 'ok') throw new BackupFormatError('The restored database fails SQLite\'s integrity check.');
    const named = store.submissions.namedObjects().sort();
    const present = (await readdir(path.join(dir, 'objects')).catch(() => [] as string[])).sort();
    if (named.join() !== present.join()) throw new BackupFormatError('The restored data directory is incomplete: an object is missing or extra.');
    return present.length;
  } finally {
    store.close();
  }
}

export async function restoreCommand(args: string[]): Promise<void> {
  const o = options(args, { in: { type: 'string' }, key: { type: 'string' }, 'passphrase-file': { type: 'string' }, data: { type: 'string' } }, ['in', 'key', 'data']);
  const passphrase = o['passphrase-file'] ? (await readFile(o['passphrase-file'], 'utf8')).replace(/\r?\n$/, '') : undefined;
  const key = await readPrivateKey(await readFile(o.key!, 'utf8'), passphrase);
  const dataDir = path.resolve(o.data!);
  const { objects } = await restoreBackup(path.resolve(o.in!), dataDir, key);
  console.log(`Restored the database and ${objects} object(s) into ${dataDir}; every part and the whole were verified. Start the server with SEALDROP_DATA=${dataDir}.`);
}
