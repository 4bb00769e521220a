import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { openManifest, openSubmission, readPrivateKey, type Manifest } from '../../common/envelope/index.ts';
import { exportSubmissions } from '../../server/cli/export.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import type { Store } from '../../server/store/index.ts';

export type Opened = { designation: string; id: string; manifest: Manifest; plaintext: Buffer; dir: string };

/** Exports every complete submission as `sealdrop export` does and opens each with the envelope. */
export async function exportAndOpen(store: Store, armoredPrivateKey: string, passphrase?: string): Promise<{ out: string; opened: Opened[] }> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-export-'));
  await exportSubmissions(store, out);
  const keys = [await readPrivateKey(armoredPrivateKey, passphrase)];
  const opened: Opened[] = [];
  for (const designation of await readdir(out)) {
    for (const id of await readdir(path.join(out, designation))) {
      const dir = path.join(out, designation, id);
      const manifest = await openManifest({ data: await readFile(path.join(dir, MANIFEST_FILE)), keys });
      const chunks: Uint8Array[] = [];
      await openSubmission({ manifest, keys, readPart: (n) => readFile(path.join(dir, partFileName(n))), write: async (b) => void chunks.push(b) });
      opened.push({ designation, id, manifest, plaintext: Buffer.concat(chunks), dir });
    }
  }
  return { out, opened };
}

export const removeDir = (dir: string) => rm(dir, { recursive: true, force: true });
