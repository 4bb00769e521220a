import { afterAll, afterEach, expect, test } from 'vitest';
import { log, logTor, setLogSink } from '../../server/log/index.ts';

// Structured logs: JSON lines on stderr that can hold nothing a source or journalist sent.
let lines: string[] = [];
const previous = setLogSink((line) => lines.push(line));
afterEach(() => {
  lines = [];
});
afterAll(() => void setLogSink(previous));

test('a line is one JSON object with level, event and the fields given; no time of its own', () => {
  log('info', 'purged', { objects: 3 });
  expect(lines).toHaveLength(1);
  expect(JSON.parse(lines[0]!)).toEqual({ level: 'info', event: 'purged', objects: 3 });
  expect(lines[0]).not.toMatch(/time|date|\d{4}-\d{2}-\d{2}/);
});

test('a field that could carry request data is replaced, not written, and logging never throws', () => {
  const hostile = ['/api/submissions/0123456789abcdef0123456789abcdef/parts/1', '203.0.113.7', 'Mozilla/5.0 (X11)', 'leak.pdf with spaces', 'a@b', 'x'.repeat(65), '"quoted"', 'line\nbreak'];
  for (const value of hostile) log('error', 'request_failed', { error: value });
  log('error', 'request_failed', { status: Number.NaN });
  const written = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(written.map((w) => w.error ?? w.status)).toEqual([...hostile.map(() => 'redacted'), 'redacted']);
  for (const value of hostile) expect(lines.join('\n')).not.toContain(value);
  log('info', 'stopping', { signal: 'SIGTERM', graceSeconds: 10 });
  expect(JSON.parse(lines.at(-1)!)).toEqual({ level: 'info', event: 'stopping', signal: 'SIGTERM', graceSeconds: 10 });
});

test("tor's warnings come through with every address masked", () => {
  logTor('Dec 02 01:00:00.000 [warn] Problem bootstrapping. Stuck at 10%: (conn_done). (Connection refused; CONNECTREFUSED; count 10; recommendation warn; host 9695DFC35FFEB861329B9F1AB04C46397020CE31 at 128.31.0.39:9101)');
  logTor('[err] Could not bind to [2001:db8::1]:9050: Address already in use');
  logTor('[warn] Bridge at 10.0.0.1:9050 and ::ffff:192.168.1.20:9001 via bridge.example.org unreachable');
  const [a, b, c] = lines.map((l) => JSON.parse(l) as { level: string; event: string; text: string });
  expect(a).toMatchObject({ level: 'warn', event: 'tor' });
  expect(a!.text).toMatch(/^Problem bootstrapping/);
  expect(a!.text).not.toContain('128.31.0.39');
  expect(b).toMatchObject({ level: 'error', event: 'tor' });
  expect(b!.text).not.toContain('2001:db8');
  expect(c!.text).toMatch(/^Bridge at \[address\] and \[address\] via \[host\] unreachable$/);
  expect(a!.text).not.toContain('9695DFC35FFEB861329B9F1AB04C46397020CE31');
});
