import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { bundle } from '../bundle.ts';
import { PUBLIC_DIR } from '../http/static.ts';
import { options } from './args.ts';
import { pageLanguage, pageProblems, sourcePages, type PageRequest } from './verify-pages.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { isLanguageCookie, languageCode, languageCookie } from '../i18n/cookie.ts';

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

/** Fetches every expected file (all at once: over Tor each request waits a round trip) and compares it byte for byte; returns the paths that differ. */
async function checkFiles(base: string, expected: Digest[]): Promise<string[]> {
  const got = await Promise.all(
    expected.map(async (d) => {
      const res = await fetch(`${base}${d.file}`).catch(() => null);
      return res?.ok ? sha256(new Uint8Array(await res.arrayBuffer())) : 'missing';
    }),
  );
  expected.forEach((d, i) => console.log(`${got[i] === d.sha256 ? 'ok      ' : 'MISMATCH'} ${d.file}`));
  return expected.filter((d, i) => got[i] !== d.sha256).map((d) => d.file);
}

type Reader = { tag: string; cookie: string };

/**
 * A reader of each language, as a browser becomes one: through the switch (?lang=N, a 303 that
 * sets the language cookie), whose cookie is then sent with every page. A switch that does not
 * answer so is a difference; that language is still checked, with the cookie written here.
 */
async function readers(base: string, problems: string[]): Promise<Reader[]> {
  const answers = await Promise.all(LANGUAGES.map(({ tag }) => fetch(`${base}/?lang=${languageCode(tag)}`, { redirect: 'manual' }).catch(() => null)));
  return LANGUAGES.map(({ tag }, i) => {
    const res = answers[i];
    const given = res?.headers.getSetCookie().map((c) => c.split(';')[0]!).find(isLanguageCookie);
    const ok = res?.status === 303 && given !== undefined && !/[?&]lang=/.test(res.headers.get('location') ?? '?lang=');
    console.log(`${ok ? 'ok      ' : 'MISMATCH'} language switch to ${tag}`);
    if (!ok) problems.push(`the language switch to ${tag} does not answer with a redirect and the language cookie`);
    return { tag, cookie: ok ? given : languageCookie(tag, false).split(';')[0]! };
  });
}

async function fetchPage(base: string, page: PageRequest, reader: Reader): Promise<Response | null> {
  const headers: Record<string, string> = { cookie: reader.cookie };
  if (page.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  return fetch(`${base}${page.path}`, { method: page.form ? 'POST' : 'GET', body: page.form, headers, redirect: 'manual' }).catch(() => null);
}

/** One page as one reader gets it: every problem with it, the language it is in included. */
async function pageFindings(base: string, page: PageRequest, reader: Reader, known: Set<string>): Promise<string[]> {
  const res = await fetchPage(base, page, reader);
  if (!res) return ['cannot be fetched'];
  const html = await res.text();
  const found = pageProblems(html, res.headers.get('content-security-policy'), `${base}${page.path}`, known);
  // A server that ignored the cookie would have this command check one language four times.
  if (pageLanguage(html) !== reader.tag) found.push(`is not served in ${reader.tag} (it says ${pageLanguage(html) ?? 'no language'})`);
  return found;
}

/** Fetches every page a source can load without a codename, in every language, and checks what it makes the browser load. */
async function checkPages(base: string, expected: Digest[]): Promise<string[]> {
  const known = new Set(expected.map((d) => d.file));
  const problems: string[] = [];
  const pages = sourcePages();
  const visits = (await readers(base, problems)).flatMap((reader) => pages.map((page) => ({ reader, page })));
  const findings = await Promise.all(visits.map(({ reader, page }) => pageFindings(base, page, reader, known)));
  visits.forEach(({ reader, page }, i) => {
    const name = `page ${page.label} (${reader.tag})`;
    for (const p of findings[i]!) console.log(`MISMATCH ${name} ${p}`);
    if (!findings[i]!.length) console.log(`ok       ${name}`);
    problems.push(...findings[i]!.map((p) => `${name} ${p}`));
  });
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
  console.log(
    `All ${expected.length} scripts and stylesheets, and the ${pages} pages a source loads without a codename in each of the ${LANGUAGES.length} languages (${pages * LANGUAGES.length} in all), served by ${base} match this source tree.`,
  );
}
