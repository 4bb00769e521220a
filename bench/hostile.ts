// What a hostile source costs the server, against the peer it replaced: the packet-framing check
// versus a full OpenPGP parse (openpgp.readMessage, as before issue 8) on the same bytes, and the
// padding overhead against the raw size.
import * as openpgp from 'openpgp';
import { randomBytes } from 'node:crypto';
import { assertAddressedTo, encryptObject, generateKeyPair, NotEncryptedError, paddedSize, readJournalistKey } from '../common/envelope/index.ts';
import { bzip2Bomb, concat, splitObject } from '../tests/helpers/packets.ts';

const MiB = 1024 * 1024;
const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn().catch((error: unknown) => error);
  return performance.now() - t;
};

export async function benchHeaderCheck(): Promise<void> {
  const journalist = await readJournalistKey((await generateKeyPair({ name: 'Bench' })).publicKey);
  const part = await encryptObject({ data: randomBytes(4 * MiB), recipients: [journalist.key] });
  const runs = 20;
  let framing = 0;
  let parser = 0;
  for (let i = 0; i < runs; i++) {
    framing += await time(async () => assertAddressedTo(part, [journalist.recipientKeyId]));
    parser += await time(() => openpgp.readMessage({ binaryMessage: part }));
  }
  // A PKESK in front of a compressed packet that inflates to 256 MiB: refused, never unpacked.
  const bomb = concat(splitObject(part).pkesks[0]!, await bzip2Bomb(256 * MiB));
  const bombFraming = await time(async () => assertAddressedTo(bomb, [journalist.recipientKeyId]));
  const refused = await Promise.resolve().then(() => assertAddressedTo(bomb, [journalist.recipientKeyId])).catch((e: unknown) => e instanceof NotEncryptedError);
  // The same compressed packet alone, through the parser the old header check used.
  const bare = await bzip2Bomb(256 * MiB);
  const bombParser = await time(() => openpgp.readMessage({ binaryMessage: bare }));
  console.log(JSON.stringify({
    name: 'header-check-vs-openpgp-parse',
    part4MiBFramingMs: +(framing / runs).toFixed(3),
    part4MiBParserMs: +(parser / runs).toFixed(3),
    parserOverFramingRatio: +(parser / framing).toFixed(1),
    bombBytes: bomb.length,
    bombRefused: refused,
    bombFramingMs: +bombFraming.toFixed(3),
    bombOldCheckMs: +bombParser.toFixed(0),
  }));
}

export function benchPadding(): void {
  const sizes = [1, 4096, 4097, 100_000, 9_449_817, 100 * MiB + 1, 2 ** 31 + 1];
  const overheadPct = sizes.map((s) => +((100 * (paddedSize(s) - s)) / s).toFixed(2));
  const worstAbove4KiB = Math.max(...Array.from({ length: 20_000 }, (_, i) => 4097 + i * 7919).map((s) => (paddedSize(s) - s) / s));
  console.log(JSON.stringify({ name: 'padding-vs-raw-size', sizes, overheadPct, worstOverheadPctAbove4KiB: +(100 * worstAbove4KiB).toFixed(2) }));
}
