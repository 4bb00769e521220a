import { parentPort } from 'node:worker_threads';
import { encryptObject, generateSourceKeyPair, openText, readJournalistKey, readPrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import type { KeyTask } from './key-pool.ts';

// Journalist keys, read once per worker: every part of every upload goes to the same few.
const journalistKeys = new Map<string, Promise<PublicKey>>();
const journalistKey = (armored: string) => {
  if (!journalistKeys.has(armored)) journalistKeys.set(armored, readJournalistKey(armored).then((k) => k.key));
  return journalistKeys.get(armored)!;
};

async function run(task: KeyTask): Promise<unknown> {
  if (task.kind === 'generate') return generateSourceKeyPair({ passphrase: task.passphrase });
  if (task.kind === 'encrypt') return encryptObject({ data: task.data, recipients: await Promise.all(task.recipients.map(journalistKey)) });
  const key = await readPrivateKey(task.privateKey, task.passphrase);
  const texts: string[] = [];
  // openText drops a reply's padding and caps what a compressed one may inflate to (1 MiB).
  for (const data of task.replies) texts.push(await openText({ data, keys: [key] }));
  return texts;
}

parentPort!.on('message', async ({ id, task }: { id: number; task: KeyTask }) => {
  try {
    parentPort!.postMessage({ id, ok: true, value: await run(task) });
  } catch (error) {
    // The class and message only: they name what failed, never a key, a passphrase or a reply.
    parentPort!.postMessage({ id, ok: false, name: (error as Error).name, message: (error as Error).message });
  }
});
