import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readJournalistKey, type JournalistKey } from '../../common/envelope/index.ts';
import { MANIFEST_FILE } from '../../common/export-layout.ts';
import { exportSubmissions } from '../../server/cli/export.ts';
import { makeGpgHome, type GpgHome } from './gpg.ts';
import { startInstance, type Instance } from './instance.ts';
import { makeAccount } from './staff-client.ts';

/** A drop with two desks, one journalist each (ana in A, ben in B), whose keys live in two GnuPG homes. */
export type TwoDesks = { instance: Instance; gpgA: GpgHome; gpgB: GpgHome; keyB: JournalistKey; deskB: number; work: string; stop(): Promise<void> };

export async function startTwoDesks(prefix: string): Promise<TwoDesks> {
  const [instance, gpgA, gpgB] = await Promise.all([startInstance(), makeGpgHome(`${prefix}-a`), makeGpgHome(`${prefix}-b`)]);
  const ana = await makeAccount(instance, 'ana', { publicKey: await readFile(gpgA.publicKeyFile, 'utf8') });
  const ben = await makeAccount(instance, 'ben', { publicKey: await readFile(gpgB.publicKeyFile, 'utf8') });
  const { desks } = instance.store;
  const a = desks.create('investigations', { en: { name: 'Investigations', description: 'Long projects' } }, 'cli');
  const b = desks.create('local', { en: { name: 'Local news', description: 'The city' } }, 'cli');
  desks.addMember(a.id, ana.id);
  desks.addMember(b.id, ben.id);
  const work = await mkdtemp(path.join(os.tmpdir(), `sealdrop-${prefix}-`));
  return {
    instance, gpgA, gpgB, work, deskB: b.id,
    keyB: await readJournalistKey(await readFile(gpgB.publicKeyFile, 'utf8')),
    async stop() {
      await instance.stop();
      await Promise.all([gpgA.cleanup(), gpgB.cleanup()]);
      await rm(work, { recursive: true, force: true });
    },
  };
}

/** The journalist keys an object names: a manifest may name its source's own key too (the source's page shows the names). */
export function journalistKeyIds(instance: Instance, keyIds: string[]): string[] {
  const sources = new Set((instance.rows().sources as { recipient_key_id: string }[]).map((s) => s.recipient_key_id));
  return keyIds.filter((k) => !sources.has(k));
}

/** Every complete submission, exported as `sealdrop export` writes them: one directory each. */
export async function exportedDirs(d: TwoDesks): Promise<string[]> {
  const out = await mkdtemp(path.join(d.work, 'export-'));
  await exportSubmissions(d.instance.store, out);
  const dirs: string[] = [];
  for (const designation of await readdir(out)) for (const id of await readdir(path.join(out, designation))) dirs.push(path.join(out, designation, id));
  return dirs;
}

/** gpg's exit status when asked to open a submission's manifest with `gpg`'s key; null if it opened. */
export const gpgExitOnManifest = (gpg: GpgHome, dir: string): Promise<number | null> =>
  gpg.decrypt(path.join(dir, MANIFEST_FILE)).then(
    () => null,
    (error: { code?: number }) => error.code ?? -1,
  );
