import { expect, test } from 'vitest';
import { FormTokens } from '../../../server/sources/form-tokens.ts';

// One send per form (issue 25): a token costs nothing until used; a used one is remembered in a
// bounded set, and a repeat gets the first send's answer.
const small = () => new FormTokens({ lifetimeMs: 60 * 60_000, resultMs: 10 * 60_000, used: 3, results: 2 });
const result = (n: number) => ({ sourceId: String(n).padStart(32, '0'), codename: `code ${n}` });

test('a token is used once; its repeat gets the first answer, also while the first is still being kept', async () => {
  const tokens = small();
  const token = tokens.issue();
  expect(tokens.held).toEqual({ used: 0, results: 0 }); // issuing holds nothing
  const first = tokens.claim(token);
  expect(first.first).toBe(true);
  const early = tokens.claim(token);
  expect(early.first).toBe(false);
  tokens.remember(first.first ? first.key : null, result(1));
  expect(await (early.first ? null : early.earlier)).toEqual(result(1));
  const late = tokens.claim(token);
  expect(late.first ? null : await late.earlier).toEqual(result(1));
});

test('a token the server did not make, altered or expired is no token: the send goes on as before, nothing held', () => {
  const tokens = small();
  const token = tokens.issue(0);
  const altered = `${token.slice(0, 10)}${token[10] === 'A' ? 'B' : 'A'}${token.slice(11)}`;
  for (const t of [undefined, '', 'x'.repeat(70), altered, new FormTokens().issue()]) expect(tokens.claim(t)).toEqual({ first: true, key: null });
  expect(tokens.claim(token, 61 * 60_000)).toEqual({ first: true, key: null }); // past its lifetime
  expect(tokens.held).toEqual({ used: 0, results: 0 });
});

test('a failed send releases its token, so the same form can be sent again; its waiting repeat hears null', async () => {
  const tokens = small();
  const token = tokens.issue();
  const first = tokens.claim(token);
  const repeat = tokens.claim(token);
  tokens.release(first.first ? first.key : null);
  expect(repeat.first ? 'first' : await repeat.earlier).toBeNull();
  expect(tokens.claim(token).first).toBe(true);
});

test('what is held is bounded: the oldest used token and answer give way, so no flood locks anyone out', async () => {
  const tokens = small();
  const issued = Array.from({ length: 5 }, () => tokens.issue());
  issued.forEach((t, i) => {
    const c = tokens.claim(t);
    tokens.remember(c.first ? c.key : null, result(i));
  });
  expect(tokens.held).toEqual({ used: 3, results: 2 });
  expect(tokens.claim(issued[0]).first).toBe(true); // forgotten: at worst stored twice, never refused
  const kept = tokens.claim(issued[4]);
  expect(kept.first ? null : await kept.earlier).toEqual(result(4));
});

test('an answer is kept minutes only; the token stays used for its lifetime', async () => {
  const tokens = small();
  const token = tokens.issue(0);
  const c = tokens.claim(token, 0);
  tokens.remember(c.first ? c.key : null, result(7));
  const later = tokens.claim(token, 11 * 60_000);
  expect(later.first).toBe(false);
  expect(later.first ? 'first' : await later.earlier).toBeNull();
});
