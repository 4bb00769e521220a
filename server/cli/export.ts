import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Store } from '../store/index.ts';
import { options } from './args.ts';
import { openCliStore } from './store.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';


async function copyObject(store: Store, blob: string, target: string): Promise<void> {
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await pipeline(store.blobs.stream(blob), createWriteStream(temp, { mode: 0o600 }));
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Writes OUT/<designation>/<submission-id>/manifest.pgp and part-NNNNN.pgp, still encrypted. */
export async function exportSubmissions(store: Store, out: string): Promise<number> {
  const submissions = store.submissions.listComplete();
  for (const s of submissions) {
    const dir = path.join(out, s.designation, s.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const objects = store.submissions.objects(s.id);
    await copyObject(store, objects.manifest, path.join(dir, MANIFEST_FILE));
    for (const [i, blob] of objects.parts.entries()) await copyObject(store, blob, path.join(dir, partFileName(i + 1)));
  }
  return submissions.length;
}

export async function exportCommand(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, out: { type: 'string' } }, ['out']);
  const store = openCliStore(o.data);
  try {
    const count = await exportSubmissions(store, path.resolve(o.out!));
    store.audit.append({ actor: 'cli', action: 'export' }); // no count: how much the sources sent is theirs
    console.log(`Exported ${count} submission(s) to ${path.resolve(o.out!)}. Decrypt them on an offline machine: sealdrop decrypt, or gpg -d.`);
  } finally {
    store.close();
  }
}
