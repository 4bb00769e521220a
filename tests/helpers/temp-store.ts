import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { openStore, type Store } from '../../server/store/index.ts';

/**
 * A real store in a fresh data directory for each test of the file (removed after it): the value
 * returned stands for the current test's store.
 */
export function tempStore(prefix: string): Store {
  let dir = '';
  let current: Store | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    current = openStore(dir);
  });
  afterEach(async () => {
    current?.close();
    current = undefined;
    await rm(dir, { recursive: true, force: true });
  });
  return new Proxy({} as Store, {
    get(_, key) {
      if (!current) throw new Error('the temporary store exists only while a test runs');
      return current[key as keyof Store];
    },
  });
}
