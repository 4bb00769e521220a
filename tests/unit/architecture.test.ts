import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

// Lint zones, enforced: a folder says where its code runs. client/ is bundled for browsers,
// common/ runs everywhere (browser, server, CLI), server/ runs only in Node on the drop, and
// newsroom/ runs only on a journalist's own machine (decrypt, safe copies).
const root = path.resolve(import.meta.dirname, '../..');
type Module = { file: string; text: string; imports: string[]; packages: string[] };
let modules: Map<string, Module>;

// Static imports, re-exports and dynamic import() calls alike.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"]+)\1/g;

async function load(dir: string): Promise<Module[]> {
  const entries = await readdir(path.join(root, dir), { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name) && !e.parentPath.includes(`${path.sep}public${path.sep}js`));
  return Promise.all(files.map(async (e) => {
    const full = path.join(e.parentPath, e.name);
    const text = await readFile(full, 'utf8');
    const specs = [...text.matchAll(SPECIFIER)].map((m) => m[2]!);
    const file = path.relative(root, full).split(path.sep).join('/');
    const imports = specs.filter((s) => s.startsWith('.')).map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)));
    return { file, text, imports, packages: specs.filter((s) => !s.startsWith('.')) };
  }));
}

beforeAll(async () => {
  modules = new Map((await Promise.all(['server', 'client', 'common', 'newsroom'].map(load))).flat().map((m) => [m.file, m]));
});

const inZone = (zone: string) => [...modules.values()].filter((m) => m.file.startsWith(`${zone}/`));
const usesPackage = (m: Module, pkg: string) => m.packages.some((p) => p === pkg || p.startsWith(`${pkg}/`));

/** Every module `file` loads, directly or through others. */
function closure(file: string): Set<string> {
  const seen = new Set<string>();
  const visit = (f: string) => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const i of modules.get(f)?.imports ?? []) visit(i);
  };
  visit(file);
  return seen;
}

describe('module boundaries', () => {
  test('only common/envelope imports openpgp, statically or dynamically', () => {
    const all = [...modules.values()];
    expect(all.filter((m) => usesPackage(m, 'openpgp') && !m.file.startsWith('common/envelope/')).map((m) => m.file)).toEqual([]);
    expect(all.some((m) => usesPackage(m, 'openpgp'))).toBe(true);
  });

  test('browser code never imports server code', () => {
    expect(inZone('client').filter((m) => m.imports.some((i) => i.startsWith('server/'))).map((m) => m.file)).toEqual([]);
  });

  test('shared code imports neither server nor browser code, nor node: modules', () => {
    const offenders = inZone('common').filter((m) => m.imports.some((i) => i.startsWith('server/') || i.startsWith('client/')) || m.packages.some((p) => p.startsWith('node:')));
    expect(offenders.map((m) => m.file)).toEqual([]);
    expect(inZone('client').filter((m) => m.packages.some((p) => p.startsWith('node:'))).map((m) => m.file)).toEqual([]);
  });

  test('every relative import names a file that exists', () => {
    const missing = [...modules.values()].flatMap((m) => m.imports.filter((i) => /\.(ts|js)$/.test(i) && !modules.has(i)).map((i) => `${m.file} -> ${i}`));
    expect(missing).toEqual([]);
  });

  test('there is no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') return void cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
      state.set(f, 'open');
      for (const i of modules.get(f)?.imports ?? []) visit(i, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of modules.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  test('outside client/api/, no browser code calls fetch: the page talks to the server through one module per side', () => {
    const callers = inZone('client').filter((m) => !m.file.startsWith('client/api/') && /\bfetch\s*\(/.test(m.text));
    expect(callers.map((m) => m.file)).toEqual([]);
    expect(inZone('client/api').map((m) => m.file).sort()).toEqual(['client/api/journalist.ts', 'client/api/source.ts']);
  });

  test('only server/store touches the database', () => {
    const all = [...modules.values()];
    expect(all.filter((m) => usesPackage(m, 'better-sqlite3') && !m.file.startsWith('server/store/')).map((m) => m.file)).toEqual([]);
  });

  test('sealdrop decrypt and sealdrop safe-copy run on the journalist\'s machine: they load only newsroom/ and common/', () => {
    for (const command of ['newsroom/decrypt.ts', 'newsroom/safe-copy.ts']) {
      const loaded = [...closure(command)];
      expect(loaded.filter((f) => !f.startsWith('newsroom/') && !f.startsWith('common/'))).toEqual([]);
      expect(loaded.filter((f) => usesPackage(modules.get(f)!, 'better-sqlite3'))).toEqual([]);
    }
    expect(closure('newsroom/decrypt.ts')).toContain('common/envelope/index.ts');
    expect(closure('newsroom/decrypt.ts')).toContain('newsroom/export-reader.ts');
    // Before the command, the dispatcher loads only its argument errors and the settings check.
    const dispatcher = modules.get('server/cli.ts')!;
    const before = [...closure('server/cli/args.ts'), ...closure('server/config.ts')];
    expect(before.filter((f) => f.startsWith('server/store/') || usesPackage(modules.get(f)!, 'better-sqlite3'))).toEqual([]);
    expect(dispatcher.text).toMatch(/case 'decrypt':\s+return \(await import\('\.\.\/newsroom\/decrypt\.ts'\)\)/);
    expect(dispatcher.text).toMatch(/case 'safe-copy':\s+return \(await import\('\.\.\/newsroom\/safe-copy\.ts'\)\)/);
    // The command line loads each command only when it runs.
    expect(dispatcher.text).not.toMatch(/^import .* from '\.\/cli\/(decrypt|export|journalist|verify-client)\.ts'/m);
    expect(dispatcher.text).not.toMatch(/^import .* from '\.\.\/newsroom\//m);
  });

  test('the server never imports newsroom/, and newsroom/ never imports the server, its store or the database', () => {
    // The one exception: the dispatcher's two dynamic imports above, which run only on the command line.
    const into = (zone: string) => [...modules.values()].filter((m) => !m.file.startsWith(`${zone}/`));
    const serverToNewsroom = inZone('server').flatMap((m) => m.imports.filter((i) => i.startsWith('newsroom/')).map((i) => `${m.file} -> ${i}`));
    expect(serverToNewsroom).toEqual(['server/cli.ts -> newsroom/decrypt.ts', 'server/cli.ts -> newsroom/safe-copy.ts']);
    expect(inZone('newsroom').filter((m) => m.imports.some((i) => i.startsWith('server/') || i.startsWith('client/'))).map((m) => m.file)).toEqual([]);
    expect(inZone('newsroom').filter((m) => usesPackage(m, 'better-sqlite3') || usesPackage(m, 'express')).map((m) => m.file)).toEqual([]);
    expect(into('newsroom').filter((m) => !m.file.startsWith('server/') && m.imports.some((i) => i.startsWith('newsroom/'))).map((m) => m.file)).toEqual([]);
    expect(inZone('newsroom').length).toBeGreaterThan(5);
  });

  test('nothing logs request details', () => {
    const logging = inZone('server').filter((m) => /console\.\w+\([^)]*req\.(ip|headers|body|get\(|socket)/.test(m.text));
    expect(logging.map((m) => m.file)).toEqual([]);
  });
});
