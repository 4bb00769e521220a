import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { KeyOwner, Store } from '../store/index.ts';
import { options } from './args.ts';
import { withCliStore } from './store.ts';
import { keyLine, MANIFEST_FILE, partFileName, SEALED_TO_FILE, SEALED_TO_HEADER } from '../../common/export-layout.ts';
import { readRecipientKeyIds } from '../../common/envelope/index.ts';

type KeyOwnerOf = (keyId: string) => KeyOwner | null;

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

/** The keys the manifest is sealed to, named as the drop knows them (`sealdrop decrypt` says whose key it needs). */
async function writeSealedTo(keyOwner: KeyOwnerOf, manifest: string, dir: string): Promise<void> {
  let text = SEALED_TO_HEADER;
  for (const keyId of readRecipientKeyIds(await readFile(manifest))) {
    const owner = keyOwner(keyId);
    text += owner ? keyLine({ keyId, fingerprint: owner.fingerprint, username: owner.username, retired: owner.retired }) : `${keyId.toUpperCase()} unknown\n`;
  }
  await writeFile(path.join(dir, SEALED_TO_FILE), text, { mode: 0o600 });
}

/** Writes OUT/<designation>/<submission-id>/manifest.pgp and part-NNNNN.pgp, still encrypted, and sealed-to.txt. */
export async function exportSubmissions(store: Store, out: string): Promise<number> {
  const submissions = store.submissions.listComplete();
  const keyOwner = store.journalists.keyOwners();
  for (const s of submissions) {
    const dir = path.join(out, s.designation, s.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const objects = store.submissions.objects(s.id);
    await copyObject(store, objects.manifest, path.join(dir, MANIFEST_FILE));
    await writeSealedTo(keyOwner, path.join(dir, MANIFEST_FILE), dir);
    for (const [i, blob] of objects.parts.entries()) await copyObject(store, blob, path.join(dir, partFileName(i + 1)));
  }
  return submissions.length;
}

export async function exportCommand(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, out: { type: 'string' } }, ['out']);
  await withCliStore(o.data, async (store) => {
    const count = await exportSubmissions(store, path.resolve(o.out!));
    store.audit.append({ actor: 'cli', action: 'export' }); // no count: how much the sources sent is theirs
    console.log(`Exported ${count} submission(s) to ${path.resolve(o.out!)}. Decrypt them on an offline machine: sealdrop decrypt, or gpg -d.`);
  });
}
