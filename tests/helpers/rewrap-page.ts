import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from './browser.ts';
import { makeGpgHome, type GpgHome } from './gpg.ts';
import { startInstance, type Instance } from './instance.ts';
import { startSniffer, type Sniffer } from './sniffer.ts';

/**
 * What a test of re-wrapping in the journalist page needs (share-item, key-rotation-web): a drop,
 * a GnuPG home holding the key that must open the objects afterwards, a private work folder, a
 * sniffer in front of the journalist listener (every byte the browser sends) and Chromium.
 */
export type RewrapPage = {
  instance: Instance;
  gpg: GpgHome;
  work: string;
  sniffer: Sniffer;
  browser: Awaited<ReturnType<typeof launchChromium>>;
  /** Each stored object named (blob names), written to a file in `work` in that order: what gpg is given. */
  objectFiles(blobs: readonly string[]): Promise<string[]>;
  close(): Promise<void>;
};

export async function startRewrapPage(gpgName: string): Promise<RewrapPage> {
  const [instance, gpg, work] = await Promise.all([startInstance(), makeGpgHome(gpgName), mkdtemp(path.join(os.tmpdir(), 'sealdrop-rewrap-page-'))]);
  const cleanUp = async () => {
    await instance.stop();
    await gpg.cleanup();
    await rm(work, { recursive: true, force: true });
  };
  let sniffer: Sniffer | undefined;
  let browser: RewrapPage['browser'];
  try {
    sniffer = await startSniffer(Number(new URL(instance.journalistUrl).port));
    browser = await launchChromium();
  } catch (error) {
    await sniffer?.close();
    await cleanUp();
    throw error;
  }
  const started = sniffer;
  return {
    instance,
    gpg,
    work,
    sniffer: started,
    browser,
    objectFiles: (blobs) =>
      Promise.all(
        blobs.map(async (name, i) => {
          const file = path.join(work, `object-${i}.pgp`);
          await writeFile(file, await instance.store.blobs.read(name));
          return file;
        }),
      ),
    async close() {
      await browser.close();
      await started.close();
      await cleanUp();
    },
  };
}
