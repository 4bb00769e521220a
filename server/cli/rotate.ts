import { options } from './args.ts';
import { readKeyFile } from './key-file.ts';
import { withCliStore } from './store.ts';
import { reportChange } from './two-person.ts';

/**
 * `sealdrop journalist rotate-key`: a journalist's new key (a `key` change, held for a second
 * administrator when there are two). The old key is kept as retired: what was sealed to it stays
 * named and openable with it until the journalist re-wraps it to the new key in the web page.
 */
export async function rotateKeyCommand(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' }, 'public-key': { type: 'string' } }, ['username', 'public-key']);
  const key = await readKeyFile(o['public-key']!);
  await withCliStore(o.data, async (store) => {
    const j = store.journalists.get(o.username!);
    const result = await store.changes.request('key', { journalistId: j.id, publicKey: key.armored, recipientKeyId: key.recipientKeyId }, null);
    reportChange(
      store,
      result,
      `Replaced the key of ${j.username}: new material is encrypted to ${key.fingerprint}. Their old key ${j.fingerprint} is retired: what was sealed to it still opens with it, until they move it to the new key in the web page (Account).`,
      `The new key ${key.fingerprint} for ${j.username}`,
    );
  });
}
