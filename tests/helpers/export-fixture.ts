import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';

/** Writes one submission in the export layout, as `sealdrop export` would, without a server. */
export async function writeExportedSubmission(
  out: string,
  opts: { designation: string; id: string; name: string; plaintext: Uint8Array; recipient: PublicKey; partSize: number },
): Promise<string> {
  const dir = path.join(out, opts.designation, opts.id);
  await mkdir(dir, { recursive: true });
  const sealer = new SubmissionSealer({ submission: opts.id, name: opts.name, type: 'application/octet-stream', recipients: [opts.recipient], partSize: opts.partSize });
  let n = 0;
  for await (const part of sealFile(sealer, opts.plaintext.length, async (s, e) => opts.plaintext.slice(s, e))) {
    await writeFile(path.join(dir, partFileName(++n)), part);
  }
  await writeFile(path.join(dir, MANIFEST_FILE), await sealer.sealManifest());
  return dir;
}
