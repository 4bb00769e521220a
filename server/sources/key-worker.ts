import { parentPort } from 'node:worker_threads';
import { generateSourceKeyPair, openText, readJournalistKey, readPrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import type { KeyTask, SealedPart } from './key-pool.ts';
import { movable } from './transfer.ts';
import { sealObject } from '../nojs/seipd.ts';

// Journalist keys, read once per worker: every part of every upload goes to the same few.
const journalistKeys = new Map<string, Promise<PublicKey>>();
const journalistKey = (armored: string) => {
  if (!journalistKeys.has(armored)) journalistKeys.set(armored, readJournalistKey(armored).then((k) => k.key));
  return journalistKeys.get(armored)!;
};

async function run(task: KeyTask): Promise<unknown> {
  if (task.kind === 'generate') return generateSourceKeyPair({ passphrase: task.passphrase });
  if (task.kind === 'encrypt') {
    // A no-JavaScript part: native AES and SHA-1 for the bulk, openpgp.js for the session key packets.
    // The plaintext is erased once sealed (best effort, as seal-stream does), and its memory moves
    // back to be filled with the next part: allocating 4 MiB a part made garbage on both threads.
    try {
      return { sealed: await sealObject(task.data, await Promise.all(task.recipients.map(journalistKey))), spent: task.data };
    } finally {
      task.data.fill(0);
    }
  }
  const key = await readPrivateKey(task.privateKey, task.passphrase);
  const texts: string[] = [];
  // openText drops a reply's padding and caps what a compressed one may inflate to (1 MiB).
  for (const data of task.replies) texts.push(await openText({ data, keys: [key] }));
  return texts;
}

parentPort!.on('message', async ({ id, task }: { id: number; task: KeyTask }) => {
  try {
    const value = await run(task);
    const moved = task.kind === 'encrypt' ? [...movable((value as SealedPart).sealed), ...movable((value as SealedPart).spent)] : [];
    parentPort!.postMessage({ id, ok: true, value }, moved);
  } catch (error) {
    // The class and message only: they name what failed, never a key, a passphrase or a reply.
    parentPort!.postMessage({ id, ok: false, name: (error as Error).name, message: (error as Error).message });
  }
});
