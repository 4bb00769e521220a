import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

// Lint zones, enforced: one module holds the crypto library, one the database.
const root = path.resolve(import.meta.dirname, '../..');

async function sources(dir: string): Promise<{ file: string; text: string }[]> {
  const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
  return Promise.all(files.map(async (file) => ({ file: path.relative(root, file), text: await readFile(file, 'utf8') })));
}

const imports = (text: string, pkg: string) => new RegExp(`from ['"]${pkg}(/[^'"]*)?['"]`).test(text);

describe('module boundaries', () => {
  test('only client/envelope imports openpgp', async () => {
    const all = [...(await sources('server')), ...(await sources('client'))];
    const offenders = all.filter((f) => imports(f.text, 'openpgp') && !f.file.startsWith('client/envelope/'));
    expect(offenders.map((f) => f.file)).toEqual([]);
    expect(all.some((f) => imports(f.text, 'openpgp'))).toBe(true);
  });

  test('the envelope and the browser code use no Node modules or DOM-free assumptions', async () => {
    const browser = [...(await sources('client/envelope')), ...(await sources('client/source'))];
    expect(browser.filter((f) => /from ['"]node:/.test(f.text)).map((f) => f.file)).toEqual([]);
  });

  test('only server/store touches the database', async () => {
    const all = [...(await sources('server')), ...(await sources('client'))];
    expect(all.filter((f) => imports(f.text, 'better-sqlite3') && !f.file.startsWith('server/store/')).map((f) => f.file)).toEqual([]);
  });

  test('nothing logs request details', async () => {
    const server = await sources('server');
    const logging = server.filter((f) => /console\.\w+\([^)]*req\.(ip|headers|body|get\(|socket)/.test(f.text));
    expect(logging.map((f) => f.file)).toEqual([]);
  });
});
