import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { createFileBlobStore } from '../../server/store/blobs.ts';
import { openDb } from '../../server/store/db.ts';
import { sourceRepo } from '../../server/store/sources.ts';
import { submissionRepo } from '../../server/store/submissions.ts';
import { SOURCE_KEY } from '../helpers/sources.ts';

// The process group-commit-crash.test.ts kills: it stores PARTS parts at once (their commits
// grouped), prints each answer as it comes (a pipe write is synchronous on Linux), and SIGKILLs
// itself in the same turn as answer number KILL_AFTER: nothing after the answer gets to run.
// Arguments: data directory, parts, kill after this many answers.
const [dataDir, partsArg, killArg] = process.argv.slice(2) as [string, string, string];
const [parts, killAfter] = [Number(partsArg), Number(killArg)];
const db = openDb(path.join(dataDir, 'sealdrop.sqlite'));
const repo = submissionRepo(db, createFileBlobStore(path.join(dataDir, 'objects')));
const sourceId = sourceRepo(db).create({ loginSecret: randomBytes(32).toString('hex'), ...SOURCE_KEY, privateKey: 'k' }).id;
const id = repo.create(sourceId, parts);
let answered = 0;
await Promise.all(
  Array.from({ length: parts }, async (_, i) => {
    const data = randomBytes(1024 + i);
    await repo.putPart(id, i + 1, data);
    process.stdout.write(`${id} ${i + 1} ${createHash('sha256').update(data).digest('hex')}\n`);
    if (++answered === killAfter) process.kill(process.pid, 'SIGKILL');
  }),
);
process.kill(process.pid, 'SIGKILL');
