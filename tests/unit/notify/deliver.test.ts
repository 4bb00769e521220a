import { afterEach, beforeEach, expect, test } from 'vitest';
import { setLogSink } from '../../../server/log/index.ts';
import { deliverAll, type Channel } from '../../../server/notify/deliver.ts';

// What the server's log says about notices: nothing for one that went out (journald would date
// every window with an arrival), one line per channel given up, by code.
let lines: string[];
let restore: (line: string) => void;
beforeEach(() => {
  lines = [];
  restore = setLogSink((l) => lines.push(l));
});
afterEach(() => void setLogSink(restore));

/** A channel whose first `failures` tries throw an error with `code`; counts its tries. */
function channel(kind: Channel['kind'], failures: number, code = 'ECONNREFUSED') {
  const c = { tries: 0, kind, send: async () => {
    c.tries += 1;
    if (c.tries <= failures) throw Object.assign(new Error('refused for jo@newsroom.example'), { code });
  } };
  return c;
}
// A clock that moves only when the retry sleeps, so the deadline decides the number of tries.
function timing() {
  let t = 0;
  return { firstRetryMs: 10, now: () => t, sleep: async (ms: number) => void (t += ms) };
}

test('a notice that goes out, at once or after retries, leaves no line at all', async () => {
  const mail = channel('mail', 0);
  const hook = channel('webhook', 2);
  await deliverAll([mail, hook], 1000, timing());
  expect([mail.tries, hook.tries]).toEqual([1, 3]);
  expect(lines).toEqual([]);
});

test('no channels: nothing is logged', async () => {
  await deliverAll([], 1000, timing());
  expect(lines).toEqual([]);
});

test('a channel given up is one error line: its kind, how many tries, the last code, never the message', async () => {
  const mail = channel('mail', 99, 'ETLS');
  const hook = channel('webhook', 0);
  await deliverAll([mail, hook], 100, timing()); // tries at 0, 10, 50; the next would start at 210
  expect(mail.tries).toBe(3);
  expect(lines.map((l) => JSON.parse(l))).toEqual([{ level: 'error', event: 'notice_failed', channel: 'mail', attempts: 3, error: 'ETLS' }]);
  expect(lines.join('\n')).not.toContain('newsroom');
});
