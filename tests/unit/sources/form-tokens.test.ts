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
  expect(tokens.claim(token, 'submit', 61 * 60_000)).toEqual({ first: true, key: null }); // past its lifetime
  expect(tokens.held).toEqual({ used: 0, results: 0 });
});

test('a failed send releases its token, so the same form can be sent again; its waiting repeat hears "failed"', async () => {
  const tokens = small();
  const token = tokens.issue();
  const first = tokens.claim(token);
  const repeat = tokens.claim(token);
  tokens.release(first.first ? first.key : null);
  expect(repeat.first ? 'first' : await repeat.earlier).toBe('failed');
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
  const c = tokens.claim(token, 'submit', 0);
  tokens.remember(c.first ? c.key : null, result(7), 0);
  const later = tokens.claim(token, 'submit', 11 * 60_000);
  expect(later.first).toBe(false);
  expect(later.first ? 'first' : await later.earlier).toBe('forgotten');
});

test('the codename is never held in the clear: the answer is sealed under the token\'s random bytes, which the server does not keep', () => {
  const tokens = small();
  const token = tokens.issue();
  const c = tokens.claim(token);
  tokens.remember(c.first ? c.key : null, { sourceId: 'a'.repeat(32), codename: 'plainly visible codename words' });
  const inMemory = JSON.stringify([...(tokens as unknown as { results: Map<string, { sealed: Buffer }> }).results].map(([k, v]) => [k, v.sealed.toString('latin1')]));
  expect(inMemory).not.toContain('plainly visible');
  expect(inMemory).not.toContain('a'.repeat(32));
  const nonce = Buffer.from(token, 'base64url').subarray(0, 16).toString('base64url');
  expect(inMemory).not.toContain(nonce);
  expect(tokens.answered(token, 'submit')?.codename).toBe('plainly visible codename words');
});

test('kept answers go on a timer of their own, not only when the next form arrives', async () => {
  const tokens = new FormTokens({ lifetimeMs: 60 * 60_000, resultMs: 50, used: 3, results: 2 });
  const token = tokens.issue();
  const c = tokens.claim(token);
  tokens.remember(c.first ? c.key : null, result(3));
  expect(tokens.held.results).toBe(1);
  await new Promise((r) => setTimeout(r, 200));
  expect(tokens.held.results).toBe(0);
});

test('each form kind has its own claim: a codename asked for first does not make the send that follows a repeat', () => {
  const tokens = small();
  const token = tokens.issue();
  const codename = tokens.claim(token, 'codename');
  tokens.remember(codename.first ? codename.key : null, result(1));
  expect(tokens.claim(token, 'submit').first).toBe(true);
  expect(tokens.claim(token, 'codename').first).toBe(false);
});

test('leaving forgets a source\'s kept codename page; a returning source\'s "Sent" holds nothing to forget', async () => {
  const tokens = small();
  const token = tokens.issue();
  const c = tokens.claim(token, 'codename');
  tokens.remember(c.first ? c.key : null, result(5));
  tokens.forgetSource(result(6).sourceId);
  expect(tokens.answered(token, 'codename')).toEqual(result(5));
  tokens.forgetSource(result(5).sourceId);
  expect(tokens.answered(token, 'codename')).toBeNull();
  expect(await tokens.take(token, 'codename')).toEqual({ first: false, answer: null });
});

test('a repeat waiting on a first send that fails becomes the send', async () => {
  const tokens = small();
  const token = tokens.issue();
  const first = tokens.claim(token);
  const repeat = tokens.take(token, 'submit');
  tokens.release(first.first ? first.key : null);
  const taken = await repeat;
  expect(taken.first).toBe(true);
});

test('used tokens are remembered with coarse times: their expiry rounded up to the hour', () => {
  const tokens = small();
  tokens.claim(tokens.issue(1_234_567), 'submit', 1_234_567);
  const [until] = [...(tokens as unknown as { used: Map<string, number> }).used.values()];
  expect(until! % 3_600_000).toBe(0);
  expect(until).toBeGreaterThanOrEqual(1_234_567 + 60 * 60_000);
});
