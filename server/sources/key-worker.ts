import { parentPort } from 'node:worker_threads';
import { generateSourceKeyPair, openText, readJournalistKey, readPrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import type { KeyTask } from './key-pool.ts';
import { sealObjectInPlace } from '../nojs/seipd.ts';

// Journalist keys, read once per worker: every part of every upload goes to the same few.
const journalistKeys = new Map<string, Promise<PublicKey>>();
const journalistKey = (armored: string) => {
  if (!journalistKeys.has(armored)) journalistKeys.set(armored, readJournalistKey(armored).then((k) => k.key));
  return journalistKeys.get(armored)!;
};

async function run(task: KeyTask): Promise<unknown> {
  if (task.kind === 'generate') return generateSourceKeyPair({ passphrase: task.passphrase });
  if (task.kind === 'seal') {
    // A no-JavaScript part, sealed where it lies in memory shared with the event loop: native AES,
    // SHA-1 and the part's SHA-256 in one pass, the session key packets natively for cv25519 keys
    // (nojs/pkesk-native.ts), by openpgp.js for any other. The
    // ciphertext overwrites the plaintext; if sealing fails, the plaintext is erased here too.
    const memory = new Uint8Array(task.memory);
    try {
      return await sealObjectInPlace(memory, task.at, task.length, await Promise.all(task.recipients.map(journalistKey)));
    } catch (error) {
      memory.fill(0, task.at, task.at + task.length);
      throw error;
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
    parentPort!.postMessage({ id, ok: true, value });
  } catch (error) {
    // The class and message only: they name what failed, never a key, a passphrase or a reply.
    parentPort!.postMessage({ id, ok: false, name: (error as Error).name, message: (error as Error).message });
  }
});
