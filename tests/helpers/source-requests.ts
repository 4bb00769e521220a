import fc from 'fast-check';

// Generated requests to the source listener, for the route fuzz: each starts from a real route as
// the pages call it, and any part of it (method, path, content type, body, cookie, token, origin)
// may be swapped for something generated (the upload's secret header too).

/** Real values a case may pick, so that some requests get past the first checks and some are valid; the test fills them in. */
export const real = { token: '', codename: '', submission: '', uploadSecret: '', reply: '', registration: '', objects: [] as Uint8Array[] };

export type Case = { method: string; path: string; headers: Record<string, string>; body: Uint8Array };
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
const anyBody: fc.Arbitrary<Thunk<Uint8Array>> = fc.oneof(text(jsonBody), fc.uint8Array({ maxLength: 4096 }).map((b) => () => b), text(multipart), text(form), objects, fc.constant(() => new Uint8Array(0)));
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/octet-stream', 'multipart/form-data; boundary=XyZ',
    'multipart/form-data', 'multipart/form-data; boundary=', 'multipart/form-data; boundary="a b"', 'application/x-www-form-urlencoded', 'text/plain', '*/*', 'application/*'),
  latin1(80),
);

/** A route as the real pages call it: method, path, content type and a body of the right kind. */
type Route = { method: string; path: Thunk<string>; type?: string; body: fc.Arbitrary<Thunk<Uint8Array>> };
const none = fc.constant(() => new Uint8Array(0));
const routes: fc.Arbitrary<Route> = fc.oneof(
  fc.constantFrom('/', '/login', '/sent', '/static/style.css', '/static/nojs.css', '/static/js/source.js', '/api/config').map((p) => ({ method: 'GET', path: () => p, body: none })),
  fc.constant({ method: 'POST', path: () => '/api/submissions', type: 'application/json', body: text(mostly(fc.constant(() => JSON.stringify({ parts: 1, secret: real.uploadSecret })), jsonBody, 1)) }),
  fc.tuple(submissionRef, partNumber).map(([id, n]) => ({ method: 'PUT', path: () => `/api/submissions/${id()}/parts/${n}`, type: 'application/octet-stream', body: objects })),
  submissionRef.map((id) => ({ method: 'PUT', path: () => `/api/submissions/${id()}/manifest`, type: 'application/octet-stream', body: objects })),
  submissionRef.map((id) => ({ method: 'POST', path: () => `/api/submissions/${id()}/complete`, body: none })),
  fc.constant({ method: 'POST', path: () => '/api/sources', type: 'application/json', body: text(mostly(fc.constant(() => real.registration), jsonBody, 1)) }),
  replyRef.map((id) => ({ method: 'GET', path: () => `/api/replies/${id()}`, body: none })),
  fc.tuple(replyRef, fc.constantFrom('read', 'delete')).map(([id, verb]) => ({ method: 'POST', path: () => `/api/replies/${id()}/${verb}`, body: none })),
  fc.constant({ method: 'POST', path: () => '/submit', type: 'multipart/form-data; boundary=XyZ', body: text(multipart) }),
  replyRef.map((id) => ({ method: 'POST', path: () => `/replies/${id()}/delete`, type: 'application/x-www-form-urlencoded', body: text(form) })),
);

/** A real route, any part of which may be swapped for something generated. */
export const caseArb: fc.Arbitrary<Thunk<Case>> = fc.record({
  route: routes,
  method: sometimes(fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS')),
  path: sometimes(anyPath),
  type: sometimes(fc.option(contentType, { nil: undefined }), 3),
  body: sometimes(anyBody, 3),
  cookie: sometimes(fc.oneof(fc.constant(() => `__Host-sealdrop-source=${real.token}`), latin1(200).map((c) => () => c), latin1(60).map((c) => () => `__Host-sealdrop-source=${c}; __Host-sealdrop=${c}`)), 2),
  token: mostly(fc.constant<Thunk<string> | null>(() => real.token), sometimes(latin1(100).map((t) => () => t), 1)),
  secret: mostly(fc.constant<Thunk<string> | null>(() => real.uploadSecret), sometimes(fc.oneof(latin1(100), fc.stringMatching(/^[0-9a-f]{64}$/)).map((t) => () => t), 1)),
  // Mostly what a browser on this site sends (or nothing, like curl), so that most cases get past the origin check.
  site: mostly(fc.constantFrom(undefined, 'same-origin'), fc.oneof(fc.constantFrom('cross-site', 'same-site', 'none'), latin1(20)), 4),
}).chain((c) => c.route.body.map((routeBody) => (): Case => {
  const method = c.method ?? c.route.method;
  const type = c.type === null ? c.route.type : c.type;
  const headers: Record<string, string> = {};
  if (type !== undefined) headers['content-type'] = type;
  if (c.cookie) headers.cookie = c.cookie();
  if (c.token) headers['x-source-token'] = c.token();
  if (c.secret) headers['x-upload-secret'] = c.secret();
  if (c.site !== undefined) headers['sec-fetch-site'] = c.site;
  const body = method === 'GET' || method === 'HEAD' ? new Uint8Array(0) : (c.body ?? routeBody)();
  return { method, path: c.path ? c.path() : c.route.path(), headers, body };
}));
