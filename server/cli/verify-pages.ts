import { randomBytes } from 'node:crypto';

/** A page verify-client asks for: its label in the output, its address, and a form body for a POST. */
export type PageRequest = { label: string; path: string; form?: string };

/**
 * Every page of server/routes/source that a source's browser loads without a codename, fetched
 * by GET. tests/security/malicious-client.test.ts walks the source listener's router and fails on
 * a GET route that is neither here nor in NOT_PAGES, so a new page cannot be left unchecked.
 */
export const SOURCE_PAGES: readonly string[] = ['/', '/guide', '/login', '/sent'];

/** The source listener's other GET routes, and why none of them is a page that can run code. */
export const NOT_PAGES: Readonly<Record<string, string>> = {
  '/api/config': 'JSON for the page script',
  '/api/submissions/:id': 'JSON, for the uploader that holds the submission',
  '/api/sends': 'JSON, what the server holds of a folded send, for the page holding its secret',
  '/api/replies/:id': 'an encrypted reply, for a source with a session only',
  '/api/sent/:n/manifest': "an encrypted manifest of the source's own item (octets), for a source with a session only",
  '/branding/logo': 'the newsroom logo, an image',
};

/**
 * Where the pages' forms post. The login page's refusal of a malformed codename is a page of its
 * own, checked too, and so is the page after Leave; what /submit answers (the codename page) and the no-JS conversation need a
 * codename or a file sent, so they cannot be fetched here: they use the same layout and stylesheets.
 */
export const FORM_TARGETS: readonly string[] = ['/login', '/submit', '/leave', '/codename'];

/** The pages to check, an error page included (every refusal and every 404 uses the same layout). */
export function sourcePages(): PageRequest[] {
  const missing = `/verify-client-${randomBytes(8).toString('hex')}`;
  const refused = { label: 'POST /login', path: '/login', form: 'codename=verify-client' };
  // Leaving without a session changes nothing and answers the page a source sees after Leave.
  const left = { label: 'POST /leave', path: '/leave', form: 'csrf=' };
  return [...SOURCE_PAGES.map((path) => ({ label: path, path })), refused, left, { label: missing, path: missing }];
}

// Elements that run code, restyle the page from inline text, or re-point every relative URL.
const FORBIDDEN = /<\s*(style|iframe|frame|object|embed|applet|base)\b/gi;
// Quote-aware, as browsers read a tag: a ">" inside a quoted value does not end it.
const TAG = /<\s*([a-z][a-z0-9-]*)\b((?:"[^"]*"|'[^']*'|[^'">])*)>/gi;
// Scanned over the whole text as well, so a tag this reader splits differently cannot hide them.
const HANDLER = /[\s"'/](on[a-z]+)\s*=/i;
const OPENERS = /<\s*(script|link)\b/gi;
const ATTRIBUTE = /([^\s=/]+)\s*(?:=\s*("[^"]*"|'[^']*'|[^\s>]+))?/g;

type Tag = { name: string; attributes: Map<string, string>; repeated: boolean };

/** Tags as a browser reads them: of a repeated attribute the first copy counts (and it is flagged). */
function tags(html: string): Tag[] {
  return [...html.matchAll(TAG)].map((m) => {
    const attributes = new Map<string, string>();
    let repeated = false;
    for (const a of m[2]!.matchAll(ATTRIBUTE)) {
      const name = a[1]!.toLowerCase();
      if (attributes.has(name)) repeated = true;
      else attributes.set(name, (a[2] ?? '').replace(/^["']|["']$/g, ''));
    }
    return { name: m[1]!.toLowerCase(), attributes, repeated };
  });
}

// The page script's words travel as data: a browser never runs a script element of this type.
const STRINGS = /<script type="application\/json" id="i18n">([^<]*)<\/script>/g;

/** At most one strings block, holding nothing but JSON (its "<" are escaped, so it cannot close early). */
function stringsParse(html: string): boolean {
  const blocks = [...html.matchAll(STRINGS)];
  if (blocks.length > 1) return false;
  try {
    return blocks.every((b) => typeof JSON.parse(b[1]!) === 'object');
  } catch {
    return false;
  }
}

/**
 * Every problem with one served page: a script or stylesheet that is not a file of this source
 * tree (compared as full URLs, so a query string cannot fetch something else), inline code or
 * style, and a Content-Security-Policy that would let inline code run.
 */
export function pageProblems(html: string, csp: string | null, pageUrl: string, known: Set<string>): string[] {
  const problems: string[] = [];
  const origin = new URL(pageUrl).origin;
  const loads = (ref: string, what: string) => {
    const url = new URL(ref, pageUrl);
    const local = url.origin === origin && !url.search && !url.hash ? url.pathname : null;
    if (local === null || !known.has(local)) problems.push(`loads ${what} ${ref}`);
  };
  const parsed = tags(html);
  if (parsed.some((t) => t.repeated)) problems.push('has a tag with a repeated attribute');
  // Every script without src must be exactly the strings block, as written by server/views/layout.ts.
  if (parsed.filter((t) => t.name === 'script' && !t.attributes.has('src')).length !== [...html.matchAll(STRINGS)].length) problems.push('has an inline script');
  for (const tag of parsed) {
    const src = tag.attributes.get('src');
    if (tag.name === 'script' && src !== undefined) loads(src, 'the script');
    const href = tag.attributes.get('href');
    if (tag.name === 'link' && href !== undefined) loads(href, `the ${tag.attributes.get('rel') || 'link'}`);
  }
  problems.push(...linkProblems(parsed, pageUrl));
  if (!stringsParse(html)) problems.push('has a page-strings block that is not one JSON object');
  const opened = [...html.matchAll(OPENERS)].length;
  if (opened !== parsed.filter((t) => t.name === 'script' || t.name === 'link').length) problems.push('has a <script> or <link> tag that does not parse');
  const handler = HANDLER.exec(html);
  if (handler) problems.push(`has an inline event handler (${handler[1]!.toLowerCase()})`);
  if (/javascript:/i.test(html)) problems.push('has a javascript: URL');
  for (const m of html.matchAll(FORBIDDEN)) problems.push(`has a <${m[1]!.toLowerCase()}> element`);
  problems.push(...cspProblems(csp));
  return problems;
}

// The policy server/http/security.ts sends: nothing by default, scripts and styles from this
// origin only; no -elem/-attr variant, nonce, hash or 'unsafe-' keyword may let inline code in.
function cspProblems(csp: string | null): string[] {
  if (!csp) return ['is served without a Content-Security-Policy'];
  const directives = csp.split(';').map((d) => d.trim().toLowerCase().split(/\s+/)).filter((d) => d[0]);
  const value = (name: string) => directives.find((d) => d[0] === name)?.slice(1).join(' ');
  const problems = value('default-src') === "'none'" ? [] : ["has a Content-Security-Policy whose default-src is not 'none'"];
  if (value('script-src') !== "'self'") problems.push("has a Content-Security-Policy whose script-src is not 'self'");
  for (const [name, ...sources] of directives) {
    const code = name!.startsWith('script-src') || name!.startsWith('style-src');
    if (code && sources.some((s) => s !== "'self'" && s !== "'none'")) problems.push(`has a Content-Security-Policy whose ${name} allows ${sources.join(' ')}`);
  }
  return problems;
}

/**
 * A link or form that leads anywhere but the pages checked here (another site included): a
 * server could otherwise send sources on to a page this command never fetched.
 */
function linkProblems(parsed: Tag[], pageUrl: string): string[] {
  const page = new URL(pageUrl);
  const problems: string[] = [];
  for (const tag of parsed) {
    const [ref, allowed] = tag.name === 'a' ? [tag.attributes.get('href'), SOURCE_PAGES] : tag.name === 'form' ? [tag.attributes.get('action'), FORM_TARGETS] : [undefined, []];
    if (ref === undefined) continue;
    const url = new URL(ref, pageUrl);
    // The language switch links to the page itself ("?lang=3"), an error page included.
    const here = tag.name === 'a' && url.pathname === page.pathname;
    if (url.origin !== page.origin || !(here || allowed.includes(url.pathname))) problems.push(`links to ${ref}, which is not a page verify-client checks`);
  }
  return problems;
}

/** The language a page says it is in (its <html lang>), to tell that the server answered the one asked for. */
export const pageLanguage = (html: string): string | undefined => tags(html).find((t) => t.name === 'html')?.attributes.get('lang');
