import { expect, test } from 'vitest';
import { holderOf, PendingTotp } from '../../../server/auth/pending-totp.ts';

// The TOTP secret under a one-time link belongs to the session it was shown to (issue 22 review).
const A = holderOf('token-a');
const B = holderOf('token-b');

test('a holder is named by its token hash, never the token', () => {
  expect(A).toMatch(/^[0-9a-f]{64}$/);
  expect(A).not.toContain('token-a');
  expect(holderOf('token-a')).toBe(A);
});

test('the same session sees the same secret; another withdraws it and gets its own; the first is told once', () => {
  const p = new PendingTotp();
  const a = p.offer('/enrol/x', A);
  expect(a).toEqual({ secret: expect.stringMatching(/^[A-Z2-7]{32}$/), openedElsewhere: false });
  expect(p.offer('/enrol/x', A)).toEqual(a);
  expect(p.held('/enrol/x', A)).toBe(a.secret);
  const b = p.offer('/enrol/x', B);
  expect(b.secret).not.toBe(a.secret);
  expect(b.openedElsewhere).toBe(false);
  expect(p.held('/enrol/x', A)).toBe('withdrawn');
  expect(p.held('/enrol/x', B)).toBe(b.secret);
  const back = p.offer('/enrol/x', A);
  expect(back.openedElsewhere).toBe(true);
  expect([a.secret, b.secret]).not.toContain(back.secret);
  expect(p.offer('/enrol/x', A)).toEqual({ secret: back.secret, openedElsewhere: false });
  expect(p.held('/enrol/x', B)).toBe('withdrawn');
});

test('a browser whose session expired is known by the cookie it still sends, and keeps its secret under its new session', () => {
  const p = new PendingTotp();
  const a = p.offer('/setup/x', A);
  const renewed = holderOf('token-a2');
  expect(p.offer('/setup/x', renewed, A)).toEqual(a);
  expect(p.held('/setup/x', renewed)).toBe(a.secret);
  expect(p.held('/setup/x', A)).toBeNull();
});

test('another link, an unknown session and a spent link hold nothing', () => {
  const p = new PendingTotp();
  const a = p.offer('/enrol/x', A);
  expect(p.held('/enrol/y', A)).toBeNull();
  expect(p.held('/enrol/x', holderOf('never-opened'))).toBeNull();
  expect(p.offer('/enrol/y', A).secret).not.toBe(a.secret);
  p.spend('/enrol/x');
  expect(p.held('/enrol/x', A)).toBeNull();
});

test('memory is bounded: at most `max` links, the oldest dropped first, and a few withdrawn sessions per link', () => {
  const p = new PendingTotp(1000);
  for (let i = 0; i < 1500; i++) p.offer(`/enrol/${i}`, A);
  expect(p.size).toBe(1000);
  expect(p.held('/enrol/0', A)).toBeNull();
  expect(p.held('/enrol/1499', A)).toMatch(/^[A-Z2-7]{32}$/);
  for (let i = 0; i < 50; i++) p.offer('/enrol/1499', holderOf(`s${i}`));
  expect(p.size).toBe(1000);
  expect(p.held('/enrol/1499', holderOf('s48'))).toBe('withdrawn');
  expect(p.held('/enrol/1499', A)).toBeNull(); // long forgotten among 50
});
