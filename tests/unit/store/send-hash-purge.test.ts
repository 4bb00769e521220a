import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { daysBefore, today } from '../../../server/store/day.ts';
import { openStore, type Store } from '../../../server/store/index.ts';
import { newSource } from '../../helpers/sources.ts';
import { newSecret } from '../../helpers/folded.ts';

// A completed folded item keeps its secret's hash (so that a request repeated after its answer was
// lost is answered "done") for a whole day at least: the hourly purge must not clear the hash of an
// item opened just before midnight an hour later.
let dir: string;
let store: Store;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-send-hash-'));
  store = openStore(dir);
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

test("a completed item's secret answers \"done\" through the next day's purges, and not after", async () => {
  const secret = newSecret();
  const bytes = new TextEncoder().encode('x');
  const folded = await store.sends.fold({
    sender: { sourceId: newSource(store).id }, secret, parts: 1, reserve: [], part: { n: 1, data: bytes }, manifest: bytes,
    complete: { fingerprints: [], desk: null },
  });
  expect(folded).toMatchObject({ whole: true, done: true });
  await store.submissions.purge(null, today());
  expect(store.sends.state(secret).state).toBe('complete');
  // The next day (the item was opened "just before midnight"): still known.
  await store.submissions.purge(null, daysBefore(today(), -1));
  expect(store.sends.state(secret).state).toBe('complete');
  // The day after: the hash is gone, the item stays.
  await store.submissions.purge(null, daysBefore(today(), -2));
  expect(store.sends.state(secret).state).toBe('none');
  expect(store.submissions.listComplete()).toHaveLength(1);
});
