import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { childArgs } from '../helpers/server-bundle.ts';

// Grouped commits keep the promise "an answered part survives kill -9": a process stores many
// parts at once (their row changes share commits) and is SIGKILLed in the very turn it gives an
// answer. Every part answered before the kill must be in the database, its object whole.
let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

/** Runs the child until it kills itself; returns the answers it printed (submission, part, SHA-256). */
async function storeAndKill(dataDir: string, parts: number, killAfter: number): Promise<{ id: string; n: number; sha: string }[]> {
  const child = spawn(process.execPath, [...(await childArgs('tests/reliability/group-commit-child.ts')), dataDir, String(parts), String(killAfter)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, s) => resolve(s)));
  expect(signal, err).toBe('SIGKILL');
  return out.trim().split('\n').filter(Boolean).map((line) => {
    const [id, n, sha] = line.split(' ') as [string, string, string];
    return { id, n: Number(n), sha };
  });
}

test.each([
  [40, 1],
  [40, 17],
  [40, 40],
])('%i parts stored at once, killed right after answer %i: every answered part is committed with its object', async (parts, killAfter) => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-group-crash-'));
  dirs.push(dataDir);
  const answered = await storeAndKill(dataDir, parts, killAfter);
  expect(answered).toHaveLength(killAfter);
  const db = new Database(path.join(dataDir, 'sealdrop.sqlite'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const blobOf = db.prepare('SELECT blob FROM parts WHERE submission_id = ? AND n = ?').pluck();
    for (const a of answered) {
      const blob = blobOf.get(a.id, a.n) as string | undefined;
      expect(blob, `part ${a.n}`).toBeDefined();
      expect(createHash('sha256').update(await readFile(path.join(dataDir, 'objects', blob!))).digest('hex')).toBe(a.sha);
    }
  } finally {
    db.close();
  }
});
