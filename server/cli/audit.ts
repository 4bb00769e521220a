import { chmod, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AuditFileError, exportLines, verifyExport } from '../audit/export.ts';
import type { AuditBreak } from '../store/index.ts';
import { CliError, options } from './args.ts';
import { withCliStore } from './store.ts';

/** The chain does not hold: a typed error, so the command exits non-zero with the entry named. */
export class AuditBrokenError extends Error {
  override name = 'AuditBrokenError';
  readonly code = 'audit_broken';
  constructor(readonly at: AuditBreak, where: string) {
    super(`audit chain broken at entry ${at.seq} (${where}): ${at.why}.`);
  }
}

/**
 * `sealdrop audit verify [--in FILE]`: the database's chain, entry by entry; with an export, that
 * file's chain and head too, and that the database still holds each of its entries unchanged (so
 * entries rewritten with fresh hashes, or cut off the end, are caught against what was written down).
 */
async function verify(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, in: { type: 'string' } }, []);
  const text = o.in === undefined ? null : await readFile(path.resolve(o.in), 'utf8').catch(() => {
    throw new CliError(`Cannot read ${o.in}.`);
  });
  await withCliStore(o.data, (store) => {
    if (text === null) {
      const { broken, count, head } = store.audit.check();
      if (broken) throw new AuditBrokenError(broken, 'in the database');
      return void console.log(`chain intact: ${count} entries, head ${head.hash}`);
    }
    let check;
    try {
      check = verifyExport(text, store);
    } catch (error) {
      if (error instanceof AuditFileError) throw new CliError(`${o.in} is not an audit export: ${error.message}.`);
      throw error;
    }
    if (check.broken) throw new AuditBrokenError(check.broken, check.where === 'file' ? `in ${o.in}` : 'in the database, against the export');
    console.log(`chain intact: ${check.database.count} entries, head ${check.database.head.hash}`);
    console.log(`The export (${check.file.count} entries, head ${check.file.head.hash}) matches the database entry for entry.`);
  });
}

/** `sealdrop audit export --out FILE`: every entry and the head, in a new file only its owner reads. */
async function exportLog(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, out: { type: 'string' } }, ['out']);
  const out = path.resolve(o.out!);
  await withCliStore(o.data, async (store) => {
    // 'wx': an existing file (an earlier export, the archive itself) is never overwritten.
    const file = await open(out, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(error.code === 'EEXIST' ? `${out} already exists: nothing was written. Choose a new file name.` : `Cannot create ${out}: ${error.code ?? error.message}.`);
    });
    let last = '';
    try {
      await chmod(out, 0o600); // the umask may have taken bits away, never given any; this makes it exact
      for (const line of exportLines(store)) {
        await file.write(line);
        last = line;
      }
      await file.sync();
    } catch (error) {
      await file.close().catch(() => undefined);
      await rm(out, { force: true });
      throw error;
    }
    await file.close();
    const { head, entries } = JSON.parse(last) as { head: { seq: number; hash: string }; entries: number };
    console.log(`Exported ${entries} audit entries to ${out}, head ${head.hash} (entry ${head.seq}).`);
    console.log('Keep it away from the drop. Later, `sealdrop audit verify --in FILE` checks that the database still holds every entry in it unchanged.');
  });
}

export async function auditCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'verify') return verify(rest);
  if (sub === 'export') return exportLog(rest);
  throw new CliError('Usage: sealdrop audit verify [--in FILE] [--data DIR] | sealdrop audit export --out FILE [--data DIR]');
}
