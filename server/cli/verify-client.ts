import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundle } from '../bundle.ts';
import { options } from './args.ts';

export type Digest = { file: string; sha256: string };

/** Rebuilds the browser bundle from this source tree into a temp dir and hashes every file. */
export async function expectedDigests(): Promise<Digest[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-verify-'));
  try {
    await bundle(dir);
    const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const digests = await Promise.all(
      files.map(async (e) => {
        const full = path.join(e.parentPath, e.name);
        return { file: path.relative(dir, full).split(path.sep).join('/'), sha256: createHash('sha256').update(await readFile(full)).digest('hex') };
      }),
    );
    return digests.sort((a, b) => a.file.localeCompare(b.file));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The check DESIGN.md promises against a server that serves malicious JavaScript: the bundle is
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
  const mismatches: string[] = [];
  for (const d of expected) {
    const res = await fetch(`${base}/static/js/${d.file}`).catch(() => null);
    const body = res?.ok ? Buffer.from(await res.arrayBuffer()) : null;
    const got = body ? createHash('sha256').update(body).digest('hex') : 'missing';
    console.log(`${got === d.sha256 ? 'ok      ' : 'MISMATCH'} ${d.file}`);
    if (got !== d.sha256) mismatches.push(d.file);
  }
  const page = await (await fetch(`${base}/`)).text();
  const scripts = [...page.matchAll(/<script\b[^>]*>/g)].map((m) => /\bsrc="([^"]*)"/.exec(m[0])?.[1] ?? 'an inline script');
  for (const src of scripts.filter((s) => !expected.some((d) => s === `/static/js/${d.file}`))) {
    console.log(`MISMATCH the page loads ${src}`);
    mismatches.push(src);
  }
  if (mismatches.length) throw new Error(`${mismatches.length} script(s) served by ${base} differ from this source tree. Do not trust that server's page.`);
  console.log(`All ${expected.length} page scripts served by ${base} match this source tree.`);
}
