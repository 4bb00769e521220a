import path from 'node:path';
import { CliError, parseCommand } from './args.ts';
import { interruptible, Leftovers } from './leftovers.ts';
import { safeCopy, type SafeOptions } from './safe/copy-one.ts';

// `sealdrop safe-copy FILE... --out DIR [--ocr] [--clean] [--json]`, on the journalist's machine.

/** Safe copies of each file into outDir; a file refused or stopped at a limit is named, the others go on. */
export async function safeCopyAll(files: string[], outDir: string, o: SafeOptions, log = console.log, left?: Leftovers): Promise<number> {
  let refused = 0;
  for (const file of files) {
    try {
      for (const written of await safeCopy(file, outDir, o, left)) log(`Wrote ${written}`);
    } catch (error) {
      refused++;
      console.error(`No safe copy of ${file}: ${(error as Error).message}`);
    }
  }
  return refused;
}

export async function safeCopyCommand(args: string[]): Promise<void> {
  const { values, files } = parseCommand(args, { out: { type: 'string' }, ocr: { type: 'boolean' }, clean: { type: 'boolean' }, json: { type: 'boolean' } }, ['out'], true);
  if (files.length === 0) throw new CliError('Name at least one file: sealdrop safe-copy FILE... --out DIR');
  const left = new Leftovers(); // Ctrl-C: the copy under way is removed, its work folder with it
  const o = { ocr: !!values.ocr, clean: !!values.clean, json: !!values.json };
  const refused = await interruptible(left, async () => undefined, () => safeCopyAll(files, path.resolve(values.out!), o, console.log, left), () => 'the safe copy under way was removed; those written before stay.');
  if (refused) throw new Error(`${refused} of ${files.length} file(s) have no safe copy (see above).`);
}
