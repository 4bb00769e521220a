import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundle } from '../bundle.ts';
import { PUBLIC_DIR } from '../http/static.ts';
import { options } from './args.ts';
import { pageProblems, sourcePages } from './verify-pages.ts';

/** A file a page may load: its URL path on the server (/static/...) and the SHA-256 it must have. */
export type Digest = { file: string; sha256: string };

async function digestsOf(dir: string, prefix: string, skip: (rel: string) => boolean = () => false): Promise<Digest[]> {
  const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const digests: Digest[] = [];
  for (const e of entries) {
    const full = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, full).split(path.sep).join('/');
    // The static handler refuses dotfiles, so they are never part of a page.
    if (skip(rel) || rel.split('/').some((p) => p.startsWith('.'))) continue;
    digests.push({ file: `${prefix}${rel}`, sha256: createHash('sha256').update(await readFile(full)).digest('hex') });
  }
  return digests;
}

/**
 * Rebuilds the browser bundle from this source tree into a temp dir, and adds the stylesheets
 * (and any other file under client/public): every file a source's page can load from /static.
 */
export async function expectedDigests(): Promise<Digest[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-verify-'));
  try {
    await bundle(dir);
    // client/public/js is a build output that may be stale; the fresh bundle stands for it.
    const files = [...(await digestsOf(dir, '/static/js/')), ...(await digestsOf(PUBLIC_DIR, '/static/', (rel) => rel.startsWith('js/')))];
    return files.sort((a, b) => a.file.localeCompare(b.file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Fetches every expected file and compares it byte for byte; returns the paths that differ. */
async function checkFiles(base: string, expected: Digest[]): Promise<string[]> {
  const mismatches: string[] = [];
  for (const d of expected) {
    const res = await fetch(`${base}${d.file}`).catch(() => null);
    const got = res?.ok ? sha256(new Uint8Array(await res.arrayBuffer())) : 'missing';
    console.log(`${got === d.sha256 ? 'ok      ' : 'MISMATCH'} ${d.file}`);
    if (got !== d.sha256) mismatches.push(d.file);
  }
  return mismatches;
}

/** Fetches every page a source can load without a codename and checks what it makes the browser load. */
async function checkPages(base: string, expected: Digest[]): Promise<string[]> {
  const known = new Set(expected.map((d) => d.file));
  const problems: string[] = [];
  for (const page of sourcePages()) {
    const res = await fetch(`${base}${page}`, { redirect: 'manual' }).catch(() => null);
    const found = res ? pageProblems(await res.text(), res.headers.get('content-security-policy'), `${base}${page}`, known) : ['cannot be fetched'];
    for (const p of found) console.log(`MISMATCH page ${page} ${p}`);
    if (!found.length) console.log(`ok       page ${page}`);
    problems.push(...found.map((p) => `${page} ${p}`));
  }
  return problems;
}

/**
 * The check the README's threat model promises against a server that serves malicious JavaScript: the bundle is
 * reproducible, so anyone can rebuild it from the published source and compare byte for byte.
 */
export async function verifyClientCommand(args: string[]): Promise<void> {
  const o = options(args, { url: { type: 'string' } }, []);
  const expected = await expectedDigests();
  if (!o.url) {
    for (const d of expected) console.log(`${d.sha256}  ${d.file}`);
    return;
  }
  const base = o.url.replace(/\/+$/, '');
  const differences = [...(await checkFiles(base, expected)), ...(await checkPages(base, expected))];
  if (differences.length) {
    throw new Error(`${differences.length} difference(s) between what ${base} serves and this source tree. Do not trust that server's pages.`);
  }
  const pages = sourcePages().length;
  console.log(`All ${expected.length} scripts and stylesheets, and the ${pages} pages a source loads without a codename, served by ${base} match this source tree.`);
}
