import Database from 'better-sqlite3';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { entryHash } from '../../server/store/index.ts';
import { sealdrop } from '../helpers/cli.ts';

// `sealdrop audit verify` and `sealdrop audit export` as real processes over a real data directory,
// whose database the test then edits behind Sealdrop's back, as someone holding the disk could.
let work: string;
let data: string;
let db: () => Database.Database;
type Row = { seq: number; at: string; actor: string; action: string; detail: string; hash: string };
const rows = (): Row[] => {
  const d = db();
  try {
    return d.prepare('SELECT * FROM audit_log ORDER BY seq').all() as Row[];
  } finally {
    d.close();
  }
};
const sql = (statement: string, ...params: unknown[]) => {
  const d = db();
  try {
    d.prepare(statement).run(...params);
  } finally {
    d.close();
  }
};
const verify = (...extra: string[]) => sealdrop(['audit', 'verify', '--data', data, ...extra]);

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-audit-cli-'));
  data = path.join(work, 'data');
  db = () => new Database(path.join(data, 'sealdrop.sqlite'));
  const pair = await generateKeyPair({ name: 'Jo' });
  await writeFile(path.join(work, 'jo.asc'), pair.publicKey);
  await writeFile(path.join(work, 'jo.key'), pair.privateKey);
  expect((await sealdrop(['journalist', 'add', '--data', data, '--username', 'jo', '--public-key', path.join(work, 'jo.asc'), '--admin'])).code).toBe(0);
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('the CLI\'s own actions are recorded, as the command line', () => {
  test('notify, enrol, access, export and backup each append their entry', async () => {
    /** What running `args` appended, as actor, action and detail. */
    const appended = async (args: string[], env: Record<string, string> = {}) => {
      const before = rows().length;
      const run = await sealdrop(args, env);
      expect(run.code, run.stderr).toBe(0);
      return rows().slice(before).map((r) => ({ actor: r.actor, action: r.action, detail: JSON.parse(r.detail) as Record<string, unknown> }));
    };
    expect(await appended(['journalist', 'notify', '--data', data, '--username', 'jo', '--email', 'jo@newsroom.example'])).toEqual([
      { actor: 'cli', action: 'account.notify', detail: { journalist: 'jo', mail: true, encrypt: false } },
    ]);
    // A new enrolment link and a new Tor access key can each put a device on the account: recorded
    // (as the journalist's own entry, or as an access entry every journalist is shown), naming them.
    const names = (entries: { actor: string; action: string; detail: Record<string, unknown> }[], action: RegExp) =>
      entries.some((e) => e.actor === 'cli' && action.test(e.action) && e.detail.journalist === 'jo');
    expect(names(await appended(['journalist', 'enrol', '--data', data, '--username', 'jo']), /^(journalist\.enrol|access\.enrol|access\.admin)$/)).toBe(true);
    // Onion services' keys made without tor (as for a system tor), so that `journalist access` has something to issue.
    expect((await sealdrop(['onion', '--torrc-only', '--out', path.join(work, 'torrc')], { SEALDROP_DATA: data })).code).toBe(0);
    expect(names(await appended(['journalist', 'access', '--data', data, '--username', 'jo']), /^(journalist\.onion|access\.onion|access\.admin)$/)).toBe(true);
    expect(await appended(['export', '--data', data, '--out', path.join(work, 'export')])).toEqual([{ actor: 'cli', action: 'export', detail: {} }]);
    const before = rows().length;
    const backup = await sealdrop(['backup', '--data', data, '--out', path.join(work, 'backup.sdb'), '--to', path.join(work, 'jo.asc')]);
    expect(backup.code, backup.stderr).toBe(0);
    expect(rows().slice(before).map((r) => [r.actor, r.action, r.detail])).toEqual([['cli', 'backup', '{"what":"data","to":"backup key"}']]);
    expect(JSON.stringify(rows())).not.toContain('jo@newsroom.example');
    // A restore records itself in the restored data, whose chain still holds.
    const sha256 = /SHA-256: ([0-9a-f]{64})/.exec(backup.stdout)![1]!;
    const restoredDir = path.join(work, 'restored');
    const restored = await sealdrop(['restore', '--in', path.join(work, 'backup.sdb'), '--sha256', sha256, '--key', path.join(work, 'jo.key'), '--data', restoredDir, '--reset-2fa']);
    expect(restored.code, restored.stderr).toBe(0);
    const again = await sealdrop(['audit', 'verify', '--data', restoredDir]);
    expect(again.code, again.stderr).toBe(0);
    const d = new Database(path.join(restoredDir, 'sealdrop.sqlite'), { readonly: true });
    expect((d.prepare('SELECT actor, action FROM audit_log ORDER BY seq DESC LIMIT 1').get() as Row)).toEqual({ actor: 'cli', action: 'restore' });
    d.close();
  });
});

describe('sealdrop audit verify and export', () => {
  let exported: string;

  test('an intact chain: exit 0, the count and the head', async () => {
    const all = rows();
    expect(all.length).toBeGreaterThan(3);
    const ok = await verify();
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe(`chain intact: ${all.length} entries, head ${all.at(-1)!.hash}`);
  });

  test('export: JSON lines with every field and the hash, then the head; mode 0600; never over an existing file', async () => {
    exported = path.join(work, 'audit.jsonl');
    const out = await sealdrop(['audit', 'export', '--data', data, '--out', exported], {}, '022');
    expect(out.code, out.stderr).toBe(0);
    expect((await stat(exported)).mode & 0o777).toBe(0o600);
    const lines = (await readFile(exported, 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const all = rows();
    expect(lines.slice(0, -1)).toEqual(all.map((r) => ({ ...r, detail: JSON.parse(r.detail) as unknown })));
    expect(lines.at(-1)).toEqual({ head: { seq: all.at(-1)!.seq, hash: all.at(-1)!.hash }, entries: all.length });
    const before = await readFile(exported);
    const again = await sealdrop(['audit', 'export', '--data', data, '--out', exported]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists: nothing was written/);
    expect(await readFile(exported)).toEqual(before);
    const check = await verify('--in', exported);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/matches the database entry for entry/);
  });

  test('one row\'s detail edited in the database: exit 1 naming that entry, with and without the export', async () => {
    const victim = rows()[2]!;
    sql('UPDATE audit_log SET detail = ? WHERE seq = ?', '{"journalist":"mallory"}', victim.seq);
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`audit chain broken at entry ${victim.seq} (in the database): its hash does not follow from its content`);
    expect((await verify('--in', exported)).stderr).toContain(`broken at entry ${victim.seq}`);
    sql('UPDATE audit_log SET detail = ? WHERE seq = ?', victim.detail, victim.seq);
    expect((await verify()).code).toBe(0);
  });

  test('a row deleted: named as missing', async () => {
    const victim = rows()[1]!;
    sql('DELETE FROM audit_log WHERE seq = ?', victim.seq);
    const broken = await verify();
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`audit chain broken at entry ${victim.seq} (in the database): it is missing`);
    sql('INSERT INTO audit_log (seq, at, actor, action, detail, hash) VALUES (?, ?, ?, ?, ?, ?)', victim.seq, victim.at, victim.actor, victim.action, victim.detail, victim.hash);
    expect((await verify()).code).toBe(0);
  });

  test('the chain rewritten with fresh hashes, or its newest entry cut off: the database alone holds, the export names the entry', async () => {
    const all = rows();
    const victim = all[2]!;
    // Whoever holds the database can recompute every hash after an edit: the chain then holds on its own.
    let previous = all[1]!.hash;
    for (const r of all.slice(2)) {
      const detail = r.seq === victim.seq ? '{"journalist":"mallory"}' : r.detail;
      const hash = entryHash(previous, { ...r, detail: JSON.parse(detail) as Record<string, string> });
      sql('UPDATE audit_log SET detail = ?, hash = ? WHERE seq = ?', detail, hash, r.seq);
      previous = hash;
    }
    expect((await verify()).code).toBe(0);
    const against = await verify('--in', exported);
    expect(against.code).toBe(1);
    expect(against.stderr).toContain(`audit chain broken at entry ${victim.seq} (in the database, against the export): it differs in the database from the exported entry`);
    for (const r of all.slice(2)) sql('UPDATE audit_log SET detail = ?, hash = ? WHERE seq = ?', r.detail, r.hash, r.seq);
    const last = all.at(-1)!;
    sql('DELETE FROM audit_log WHERE seq = ?', last.seq);
    expect((await verify()).code).toBe(0);
    const cut = await verify('--in', exported);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain(`audit chain broken at entry ${last.seq} (in the database, against the export): it is in the export but missing from the database`);
  });

  test('an export edited or cut short is refused, naming the line or entry', async () => {
    const text = await readFile(exported, 'utf8');
    const lines = text.trimEnd().split('\n');
    const forged = path.join(work, 'forged.jsonl');
    await writeFile(forged, [lines[0], lines[1]!.replace(/"at":"[^"]+"/, '"at":"2020-01-01T00:00:00Z"'), ...lines.slice(2)].join('\n') + '\n');
    expect((await verify('--in', forged)).stderr).toContain('audit chain broken at entry 2 (in ');
    const cut = path.join(work, 'cut.jsonl');
    await writeFile(cut, lines.slice(0, -1).join('\n') + '\n');
    const refused = await verify('--in', cut);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is not an audit export: its last line does not name the head/);
  });
});
