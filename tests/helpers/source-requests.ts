import fc from 'fast-check';
import { negotiate } from '../../common/i18n/languages.ts';
import { codeOf, TAGS } from './answer-language.ts';
import type { SourceRoute } from './source-routes.ts';

// Generated requests to the source listener, for the route fuzz: each starts from a real route as
// the pages call it, or from any route the app's router holds, and any part of it (method, path,
// content type, body, cookie, token, origin) may be swapped for something generated (the upload's
// secret header too); and each asks for a language in every way a browser can (the switch's
// ?lang=, the language cookie, Accept-Language), in today's forms, earlier ones and hostile ones.

/** Real values a case may pick, so that some requests get past the first checks and some are valid; the test fills them in. */
export const real = { token: '', codename: '', submission: '', uploadSecret: '', reply: '', registration: '', objects: [] as Uint8Array[] };

/** `accepts`: the language the Accept-Language header asks for (the test's own table, or for generated noise, the negotiator's answer). */
export type Case = { method: string; path: string; headers: Record<string, string>; body: Uint8Array; accepts: string };
// Generated values are thunks where they name something made in beforeAll.
export type Thunk<T> = () => T;
const mostly = <T>(usual: fc.Arbitrary<T>, other: fc.Arbitrary<T>, odds = 3) => fc.oneof({ weight: odds, arbitrary: usual }, { weight: 1, arbitrary: other });
const sometimes = <T>(arb: fc.Arbitrary<T>, odds = 4) => mostly<T | null>(fc.constant(null), arb, odds);

export const latin1 = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0xfe }).map((c) => String.fromCharCode(c === 0x7f ? 0xff : c)), maxLength: max });
const segment = fc.oneof(
  fc.string({ maxLength: 40, unit: 'grapheme' }).map(encodeURIComponent),
  fc.constantFrom('..', '%2e%2e', '%00', '..%2F..%2Fetc%2Fpasswd', '%ZZ', '%', 'A'.repeat(3000), '.env', '%C0%AE', 'con', '\u00e9', 'toString', '__proto__'),
);
const ref = (usual: Thunk<string>) => mostly(fc.constant(usual), fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), segment).map((s) => () => s), 2);
const submissionRef = ref(() => real.submission);
const replyRef = ref(() => real.reply);
const partNumber = mostly(fc.constantFrom('1', '2'), fc.oneof(fc.integer({ min: -2, max: 4 }).map(String), fc.constantFrom('99999999999999999999', '1e3', '0x1', '01', '1.0', '%201'), segment), 2);
const anyPath: fc.Arbitrary<Thunk<string>> = fc.tuple(
  fc.oneof(
    fc.constantFrom('/', '/login', '/sent', '/submit', '/static/', '/static/.env', '/static/../server/main.ts', '/static/js/chunks/..%2f..%2f..%2fREADME.md',
      '/api/sources/login', '/api', '/API/config', '/Api/Submissions', '//', '/api//submissions', '/favicon.ico', '/replies', '/api/replies', '/static/js/source.js/'),
    fc.array(segment, { maxLength: 4 }).map((s) => `/${s.join('/')}`),
    fc.tuple(submissionRef, partNumber).map(([id, n]) => () => `/api/submissions/${id()}/parts/${n}`),
  ),
  fc.option(latin1(60).map(encodeURIComponent), { nil: undefined }),
).map(([p, q]) => () => `${typeof p === 'string' ? p : p()}${q === undefined ? '' : `?${q}`}`);

export const anyJson = fc.oneof(fc.jsonValue(), fc.constantFrom(1, 2, 1e308, -0, 2 ** 53 + 1, '', '\u0000', 'x'.repeat(70)));
const jsonBody: fc.Arbitrary<string | Thunk<string>> = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v)),
  anyJson.map((parts) => JSON.stringify({ parts })),
  fc.tuple(anyJson, anyJson).map(([parts, secret]) => JSON.stringify({ parts, secret })),
  fc.record({ login: anyJson, publicKey: anyJson, privateKey: anyJson }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{"parts": 1e400}', '{"parts": 123456789012345678901234567890}', '{"__proto__": {"parts": 1}}', '{"parts": 1, "parts": 2}', '{"constructor": {}}',
    '['.repeat(5000) + ']'.repeat(5000), '{', '', 'null', '"\\ud800"', '{"login": 5}', `{"login": "${'a'.repeat(65)}"}`, '{"parts": 1}'),
  fc.constant(() => real.registration),
);
const multipart = fc.tuple(mostly(fc.constant('XyZ'), fc.constantFrom('a b', '', '--', 'x'.repeat(80))), fc.array(fc.tuple(mostly(fc.constantFrom('files', 'message'), fc.constantFrom('file', 'csrf', '', 'message[]')), fc.option(latin1(40), { nil: undefined }), latin1(200)), { maxLength: 3 }), mostly(fc.constant(true), fc.constant(false)))
  .map(([boundary, items, closed]) => items.map(([name, file, content]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file === undefined ? '' : `; filename="${file}"`}\r\n\r\n${content}\r\n`).join('') + (closed ? `--${boundary}--\r\n` : ''));
const form = fc.tuple(mostly(fc.constant('csrf'), fc.constantFrom('codename', 'x', 'csrf[]')), latin1(100), fc.nat({ max: 5 }))
  .map(([k, v, extra]) => [`${k}=${encodeURIComponent(v)}`, ...Array.from({ length: extra }, (_, i) => `f${i}=1`)].join('&'));
const objects = fc.nat().map((i) => () => real.objects[i % real.objects.length]!);
const text = (arb: fc.Arbitrary<string | Thunk<string>>) => arb.map((b) => () => Buffer.from(typeof b === 'string' ? b : b(), 'latin1'));
const anyBody: fc.Arbitrary<Thunk<Uint8Array>> = fc.oneof(text(jsonBody), fc.constant(() => new Uint8Array(Buffer.from('{"parts":1}'))), fc.uint8Array({ maxLength: 4096 }).map((b) => () => b), text(multipart), text(form), objects, fc.constant(() => new Uint8Array(0)));
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/octet-stream', 'multipart/form-data; boundary=XyZ',
    'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary="a b"', 'application/x-www-form-urlencoded', 'text/plain', '*/*', 'application/*'),
  latin1(80),
);

// A folded send's body (POST /api/sends/:n): a head, a part and a manifest, whose lengths the
// X-Send-Lengths header declares; the lengths each generated body was made with, to declare them.
const lengthsOf = new WeakMap<Uint8Array, string>();
const sendHead = fc.oneof(
  fc.constantFrom('{"parts":1}', '{"parts":2}', '{"parts":0}', '{"parts":1,"n":1}', '{"parts":1,"reserve":[]}', `{"parts":1,"reserve":[{"secret":"${'ab'.repeat(32)}","parts":1}]}`, '{"parts":1,"register":{}}').map((h) => () => h),
  fc.constant(() => `{"parts":1,"register":${real.registration}}`),
  jsonBody.map((b) => () => (typeof b === 'string' ? b : b())),
);
const piece = fc.option(objects, { nil: undefined, freq: 3 });
const foldedBody: fc.Arbitrary<Thunk<Uint8Array>> = fc.tuple(sendHead, piece, piece).map(([head, part, manifest]) => () => {
  const pieces = [Buffer.from(head(), 'latin1'), Buffer.from(part?.() ?? []), Buffer.from(manifest?.() ?? [])];
  const body = new Uint8Array(Buffer.concat(pieces));
  lengthsOf.set(body, pieces.map((p) => p.length).join(','));
  return body;
});
const sendLengths = mostly(fc.constant('declared'), fc.oneof(fc.constantFrom('0,0,0', '2,1,1', '1,2', '99999999,1,1', '2,99999999999,0', ' 2,1,1', '+2,1,1', '2,1,1,1', ''), latin1(30)));

/** A route as the real pages call it: method, path, content type and a body of the right kind. */
type Route = { method: string; path: Thunk<string>; type?: string; body: fc.Arbitrary<Thunk<Uint8Array>> };
const none = fc.constant(() => new Uint8Array(0));
const handWritten: fc.Arbitrary<Route>[] = [
  fc.constantFrom('/', '/guide', '/login', '/sent', '/branding/logo', '/static/style.css', '/static/nojs.css', '/static/js/source.js', '/api/config').map((p) => ({ method: 'GET', path: () => p, body: none })),
  fc.constant({ method: 'POST', path: () => '/api/submissions', type: 'application/json', body: text(mostly(fc.constant(() => JSON.stringify({ parts: 1, secret: real.uploadSecret })), jsonBody, 1)) }),
  submissionRef.map((id) => ({ method: 'GET', path: () => `/api/submissions/${id()}`, body: none })),
  fc.tuple(submissionRef, partNumber).map(([id, n]) => ({ method: 'PUT', path: () => `/api/submissions/${id()}/parts/${n}`, type: 'application/octet-stream', body: objects })),
  submissionRef.map((id) => ({ method: 'PUT', path: () => `/api/submissions/${id()}/manifest`, type: 'application/octet-stream', body: objects })),
  submissionRef.map((id) => ({ method: 'POST', path: () => `/api/submissions/${id()}/complete`, body: none })),
  partNumber.map((n) => ({ method: 'POST', path: () => `/api/sends/${n === '2' ? '0' : n}`, type: 'application/octet-stream', body: foldedBody })),
  fc.constant({ method: 'GET', path: () => '/api/sends', body: none }),
  fc.constant({ method: 'POST', path: () => '/api/sources', type: 'application/json', body: text(mostly(fc.constant(() => real.registration), jsonBody, 1)) }),
  replyRef.map((id) => ({ method: 'GET', path: () => `/api/replies/${id()}`, body: none })),
  fc.tuple(replyRef, fc.constantFrom('read', 'delete')).map(([id, verb]) => ({ method: 'POST', path: () => `/api/replies/${id()}/${verb}`, body: none })),
  fc.constant({ method: 'POST', path: () => '/submit', type: 'multipart/form-data; boundary=XyZ', body: text(multipart) }),
  replyRef.map((id) => ({ method: 'POST', path: () => `/replies/${id()}/delete`, type: 'application/x-www-form-urlencoded', body: text(form) })),
];

/** A path for a router pattern: each parameter filled with a real value or a hostile one, a mount's rest with one of its files or anything. */
function fill(pattern: string, files: string[]): fc.Arbitrary<Thunk<string>> {
  const parts = pattern.split('/').map((s): fc.Arbitrary<Thunk<string>> => {
    if (s === ':n') return partNumber.map((n) => () => n);
    if (s.startsWith(':')) return pattern.includes('/replies/') ? replyRef : s === ':id' ? submissionRef : segment.map((x) => () => x);
    if (s === '*') return mostly(fc.constantFrom(...files, '', 'index.html'), segment).map((x) => () => x);
    return fc.constant(() => s);
  });
  return fc.tuple(...parts).map((ps) => () => ps.map((p) => p()).join('/'));
}

/** Every route the router holds, as a generic request: the route's method (any, for a mount), generated bodies. */
function fromRouter(found: SourceRoute[], files: string[]): fc.Arbitrary<Route>[] {
  return found.map((r) => fc.tuple(fill(r.pattern, files), r.method === 'ANY' ? fc.constantFrom('GET', 'HEAD', 'POST') : fc.constant(r.method), fc.option(contentType, { nil: undefined }), anyBody)
    .map(([path, method, type, body]) => ({ method, path, type, body: fc.constant(body) })));
}

// The language a request asks for, three ways. Accept-Language: what browsers send (each with the
// language it must choose, by README's rules: quality, then order; Chinese by script or region),
// or noise, long or hostile (then the negotiator's answer is taken: its own unit test checks it).
const accepted: [string, string][] = [
  ['en-US,en;q=0.5', 'en'], ['ug', 'ug'], ['ug-CN,ug;q=0.9', 'ug'], ['UG', 'ug'], ['zh-CN,zh;q=0.9', 'zh-Hans'], ['zh', 'zh-Hans'], ['zh-Hans-CN', 'zh-Hans'],
  ['zh-TW', 'zh-Hant'], ['zh-HK,zh;q=0.8', 'zh-Hant'], ['zh-Hant', 'zh-Hant'], ['fr-FR,fr;q=0.9', 'en'], ['*', 'en'], ['de;q=0.9, ug;q=0.8', 'ug'],
  ['en;q=0.1, ug', 'ug'], ['zh-TW;q=0.5,zh-CN;q=0.9', 'zh-Hans'], ['ug;q=0', 'en'], ['ug;q=1.5', 'en'], ['ug;q=abc', 'en'], ['ug;q=', 'en'],
];
const acceptNoise = fc.oneof(
  latin1(200),
  fc.tuple(fc.integer({ min: 900, max: 8000 }), fc.constantFrom(...TAGS)).map(([n, tag]) => `${'x-'.repeat(n / 2)},${tag}`),
  fc.integer({ min: 30, max: 1500 }).map((n) => Array.from({ length: n }, (_, i) => TAGS[i % TAGS.length]).join(',')),
  fc.constantFrom('ug;q=1e-400', 'ug;q=-0', ';;;,,,', 'zh-', '-', 'ug;q=0.5;q=1', 'ug\t', ' , ug ; q = 1 '),
);
const acceptLanguage = sometimes(fc.oneof(fc.constantFrom(...accepted), acceptNoise.map((h): [string, string] => [h, negotiate(h)])), 1);

// ?lang=: today's codes, the tags earlier versions used, and what no switch makes (both may sit among other parameters, or twice).
const codes = TAGS.map(codeOf);
const langValue = fc.oneof(
  fc.constantFrom(...codes, ...TAGS, '%33', '%75%67', 'zh%2DHant'),
  fc.constantFrom('4', '10', '-1', '00', '03', '3+', '+3', '%203', 'UG', 'Ug', 'zh-hans', 'zh', 'en-US', '', '%00', '%E2%80%AE3', '%EF%BC%93', '%D9%A3', '1e0', '0x1', '__proto__', 'constructor', 'x'.repeat(5000)),
  latin1(40).map(encodeURIComponent),
);
const langQuery = sometimes(fc.tuple(langValue, fc.constantFrom('lang', 'lang', 'LANG', 'lang[]', 'l%61ng', '+lang'), fc.boolean(), fc.boolean())
  .map(([v, key, twice, first]) => ({ param: [`${key}=${v}`, ...(twice ? [`lang=${v}`] : [])].join('&'), first })), 3);
// The cookie: a code, an earlier tag, or anything else, beside the session cookies or alone.
const langCookie = sometimes(fc.oneof(fc.constantFrom(...codes, ...TAGS), fc.constantFrom('4', '03', '', 'UG', '3 ', ' 3', '3;', '"3"', '%33'), latin1(30).map((v) => v.replace(/;/g, ''))).map((v) => `sealdrop-lang=${v}`), 2);

const withQuery = (path: string, q: { param: string; first: boolean } | null) => {
  if (!q) return path;
  const at = path.indexOf('?');
  if (at < 0) return `${path}?${q.param}`;
  return q.first ? `${path.slice(0, at)}?${q.param}&${path.slice(at + 1)}` : `${path}&${q.param}`;
};

/** A route (a hand-written one as the pages call it, or any the router holds), any part of which may be swapped for something generated. */
export function casesFor(found: SourceRoute[], files: string[]): fc.Arbitrary<Thunk<Case>> {
  return fc.record({
    route: fc.oneof(...handWritten, ...fromRouter(found, files)),
    method: sometimes(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS')),
    path: sometimes(anyPath),
    type: sometimes(fc.option(contentType, { nil: undefined }), 3),
    body: sometimes(anyBody, 3),
    cookie: sometimes(fc.oneof(fc.constant(() => `__Host-sealdrop-source=${real.token}`), latin1(200).map((c) => () => c), latin1(60).map((c) => () => `__Host-sealdrop-source=${c}; __Host-sealdrop=${c}`)), 2),
    langCookie,
    langFirst: fc.boolean(),
    lang: langQuery,
    accept: acceptLanguage,
    token: mostly(fc.constant<Thunk<string> | null>(() => real.token), sometimes(latin1(100).map((t) => () => t), 1)),
    secret: mostly(fc.constant<Thunk<string> | null>(() => real.uploadSecret), sometimes(fc.oneof(latin1(100), fc.stringMatching(/^[0-9a-f]{64}$/), fc.constantFrom('F00D'.repeat(16), ` ${'f00d'.repeat(16)}`, 'f00d'.repeat(17), 'f00d'.repeat(16).slice(1), '')).map((t) => () => t), 1)),
    lengths: sometimes(sendLengths, 1),
    // Mostly what a browser on this site sends (or nothing, like curl), so that most cases get past the origin check.
    site: mostly(fc.constantFrom(undefined, 'same-origin'), fc.oneof(fc.constantFrom('cross-site', 'same-site', 'none'), latin1(20)), 4),
  }).chain((c) => c.route.body.map((routeBody) => shown((): Case => {
    const method = c.method ?? c.route.method;
    const type = c.type === null ? c.route.type : c.type;
    const headers: Record<string, string> = {};
    if (type !== undefined) headers['content-type'] = type;
    const cookies = [c.cookie?.(), c.langCookie].filter((x) => x != null);
    if (cookies.length) headers.cookie = (c.langFirst ? cookies.reverse() : cookies).join('; ');
    if (c.accept) headers['accept-language'] = c.accept[0];
    if (c.token) headers['x-source-token'] = c.token();
    if (c.secret) headers['x-upload-secret'] = c.secret();
    if (c.site !== undefined) headers['sec-fetch-site'] = c.site;
    const body = method === 'GET' || method === 'HEAD' ? new Uint8Array(0) : (c.body ?? routeBody)();
    // A folded send's lengths: as its body was made (most of the time), or anything.
    const declared = c.lengths === 'declared' ? lengthsOf.get(body) : c.lengths;
    if (declared != null) headers['x-send-lengths'] = declared;
    return { method, path: withQuery(c.path ? c.path() : c.route.path(), c.lang), headers, body, accepts: c.accept?.[1] ?? 'en' };
  })));
}

/** A counterexample is reported as the request it makes, not the function's source. */
const shown = (make: Thunk<Case>): Thunk<Case> =>
  Object.assign(make, {
    [fc.toStringMethod]: () => {
      const c = make();
      return `${c.method} ${c.path.slice(0, 300)} ${JSON.stringify(c.headers).slice(0, 600)} body ${c.body.length} bytes: ${JSON.stringify(Buffer.from(c.body.subarray(0, 200)).toString('latin1'))}`;
    },
  });

/** A plain request for a router pattern, in one language (Accept-Language): real ids and secrets, no body; enough to reach the route's handler. */
export function plainCase(route: SourceRoute, files: string[], accept: string, accepts: string): Case {
  const path = route.pattern
    .split('/')
    .map((s) => (s === ':n' ? '1' : s === ':id' ? (route.pattern.includes('/replies/') ? real.reply : real.submission) : s.startsWith(':') ? 'x' : s === '*' ? files[0]! : s))
    .join('/');
  const method = route.method === 'ANY' ? 'GET' : route.method;
  return { method, path, headers: { 'accept-language': accept, 'x-source-token': real.token, 'x-upload-secret': real.uploadSecret }, body: new Uint8Array(0), accepts };
}
