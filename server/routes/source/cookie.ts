/** The no-JavaScript source session's cookie. */
export const SOURCE_COOKIE = '__Host-sealdrop-source';
// Outside Tor Browser an http .onion page is not a secure context and the __Host- cookie is never
// stored: on an onion Host its non-Secure twin `sealdrop-source` carries the session too.
export const SOURCE_COOKIE_OPTIONS = { onionFallback: true } as const;
