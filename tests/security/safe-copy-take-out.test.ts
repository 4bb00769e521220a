import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { clip } from '../../newsroom/safe/findings.ts';
import { drainPages } from '../../newsroom/safe/pixels.ts';
import { sandboxed } from '../../newsroom/safe/render.ts';
import { runSandboxed } from '../../newsroom/safe/sandbox.ts';
import { copyOutput, UnsafeOutputError } from '../../newsroom/safe/take-out.ts';

// Threat: a renderer taken over by a source's file writes into its /out (the one folder the
// sandbox may write) not a page but a symbolic link to a file of the journalist's, a FIFO, or a
// huge file, hoping the host reads or renames it into the output folder (NAME.clean.docx, the
// office PDF bound into the next sandbox). And its stderr, shown in an error, carries terminal
// escapes. Each step is a real sandbox run of a stand-in command, then the host's code that takes
// its output out.

let dir: string;
let out: string;
let secret: string;
const leave = (script: string) => runSandboxed({ argv: ['bash', '-c', script], outDir: out });

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-takeout-'));
  out = path.join(dir, 'out');
  secret = path.join(dir, 'journalist-key.asc');
  mkdirSync(out, { mode: 0o700 });
  // A valid page on the host: read through a link, it would pass every check of the pixel reader.
  writeFileSync(secret, Buffer.concat([Buffer.from('P6\n2 1\n255\n'), Buffer.from([1, 2, 3, 4, 5, 6])]));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('files taken out of the sandbox', () => {
  test('a page left as a symbolic link to a host file is refused by name, and the host file is not read', async () => {
    await leave(`ln -s ${secret} /out/page-1.ppm`);
    const pages = async () => { for await (const _ of drainPages(out)) { /* read */ } };
    await expect(pages()).rejects.toThrow(UnsafeOutputError);
    await expect(pages()).rejects.toThrow('a tool in the sandbox left page-1.ppm as a symbolic link: refused, nothing of it was read');
  });

  test('an office PDF or a clean copy left as a symbolic link is not copied, and nothing is written', async () => {
    await leave(`ln -s ${secret} /out/document.pdf`);
    const target = path.join(dir, 'letter.clean.docx');
    await expect(copyOutput(path.join(out, 'document.pdf'), target, 1e9)).rejects.toThrow(/left document\.pdf as a symbolic link: refused/);
    expect(existsSync(target)).toBe(false);
    expect(readFileSync(secret).subarray(0, 2).toString()).toBe('P6');
  });

  test('a FIFO, a folder and a file past the size limit are refused without blocking', async () => {
    await leave('mkfifo /out/page-1.ppm; mkdir /out/page-2.ppm; truncate -s 400000000 /out/page-3.ppm');
    for (const [name, what] of [['page-1.ppm', 'something other than a plain file'], ['page-2.ppm', 'a folder'], ['page-3.ppm', 'a file of 400,000,000 bytes, above the limit of 1,000,000']]) {
      await expect(copyOutput(path.join(out, name!), path.join(dir, `${name}.copy`), 1_000_000)).rejects.toThrow(`left ${name} as ${what}`);
    }
    expect(readdirSync(dir).sort()).toEqual(['journalist-key.asc', 'out']);
  });

  test('a plain file is copied whole into a new file of ours (0600), never over an existing one', async () => {
    await leave('printf "%%PDF-1.4 made in the sandbox" > /out/document.pdf');
    const target = path.join(dir, 'office.pdf');
    await copyOutput(path.join(out, 'document.pdf'), target, 1e9);
    expect(readFileSync(target, 'utf8')).toBe('%PDF-1.4 made in the sandbox');
    await expect(copyOutput(path.join(out, 'document.pdf'), target, 1e9)).rejects.toMatchObject({ code: 'EEXIST' });
    symlinkSync(secret, path.join(dir, 'planted.pdf'));
    await expect(copyOutput(path.join(out, 'document.pdf'), path.join(dir, 'planted.pdf'), 1e9)).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(secret).subarray(0, 2).toString()).toBe('P6');
  });
});

describe('a tool\'s words on the terminal', () => {
  test('a failing tool\'s last line of stderr is shown without C0 or C1 controls or bidi overrides', async () => {
    const words = String.raw`printf 'fine\nbad \033]0;owned\007 \2331;31m red \342\200\256 txt.exe \302\233 c1 \302\205 end\n' >&2; exit 3`;
    const error = await sandboxed('the tool', { argv: ['bash', '-c', words] }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^the tool could not read the file \(bad .*owned.* red .* txt\.exe .* c1 .* end\)$/);
    expect(message).not.toMatch(/[\0-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
  });

  test('clip removes C1 controls, direction marks and isolates, and line separators', () => {
    const hostile = 'a\u009b31mb\u0085c\u200fd\u061ce\u2067f\u2069g\u2028h\u202ei\x1b[2Jj';
    expect(clip(hostile)).toBe('a 31mb c d e f g h i [2Jj');
  });
});
