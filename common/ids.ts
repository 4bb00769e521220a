// Identifier contracts shared by the server, the CLI, the manifest and the pages: one home each,
// so a route, the database and an exported manifest can never disagree on what a valid name is.

/**
 * Every id the server hands out (sources, submissions, replies, stored objects): 128 random bits
 * as 32 lower-case hex digits. Anything else in a path is refused before it reaches the store.
 */
export const ID_PATTERN = /^[0-9a-f]{32}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/**
 * A journalist's username, without anchors, so the same text serves as the HTML `pattern`
 * attribute (which browsers anchor themselves and compile with the `v` flag, hence `\-`).
 */
export const USERNAME_PATTERN = '[a-z0-9][a-z0-9._\\-]{0,63}';
const USERNAME = new RegExp(`^${USERNAME_PATTERN}$`);

export function isUsername(value: string): boolean {
  return USERNAME.test(value);
}

/** A source's login secret as the page derives it from the codename: 256 bits, lower-case hex. */
const LOGIN_SECRET = /^[0-9a-f]{64}$/;

export function isLoginSecret(value: unknown): value is string {
  return typeof value === 'string' && LOGIN_SECRET.test(value);
}
