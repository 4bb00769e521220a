import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readPrivateKey } from '../../common/envelope/index.ts';
import { createFileBlobStore } from '../../server/store/blobs.ts';
import { openDb } from '../../server/store/db.ts';
import type { Reader } from '../../server/store/rewrap-plan.ts';
import { rewrapRound } from './rewrap-round.ts';

// The process rewrap-crash.test.ts kills: it re-wraps one conversation round after round and
// prints each committed round. Arguments: data directory, source id, Alice's private key file,
// Bob's reader (JSON file).
const [dataDir, sourceId, aliceKeyFile, bobJson] = process.argv.slice(2) as [string, string, string, string];
const db = openDb(path.join(dataDir, 'sealdrop.sqlite'));
const blobs = createFileBlobStore(path.join(dataDir, 'objects'));
const bob = JSON.parse(readFileSync(bobJson, 'utf8')) as Reader;
const alice = await readPrivateKey(readFileSync(aliceKeyFile, 'utf8'));

for (let round = 1; ; round++) {
  await rewrapRound(db, blobs, sourceId, alice, bob);
  process.stdout.write(`round ${round}\n`);
}
