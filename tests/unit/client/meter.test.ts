import { describe, expect, test } from 'vitest';
import { describe as say, formatBytes, formatDuration, Meter } from '../../../client/source/meter.ts';
import { formatLimit } from '../../../common/sizes.ts';
import { useStrings } from '../../../client/i18n.ts';
import { translator } from '../../../server/i18n/index.ts';

// The page's English words, exactly as the server sends them in the page's data block.
useStrings(JSON.parse(translator('en').clientJson('client.')));

// The source's progress line: bytes sent (as they leave, not per part), the rate, the time left.
describe('Meter', () => {
  test('counts bytes in flight as they leave, and steps back when an upload breaks off', () => {
    let now = 0;
    const meter = new Meter(8_000_000, 7_600_000, () => now);
    const a = meter.track(4_000_000);
    const b = meter.track(4_000_000);
    a.sent(50, 100);
    b.sent(25, 100);
    expect(meter.read().sent).toBe(Math.round(3_000_000 * 0.95));
    b.lost(); // the connection dropped: those bytes did not arrive
    now = 1000;
    expect(meter.read().sent).toBe(Math.round(2_000_000 * 0.95));
    a.done();
    a.sent(10, 100); // a late progress event from a finished upload counts nothing more
    expect(meter.read().sent).toBe(Math.round(4_000_000 * 0.95));
  });

  test('the rate is judged over the last ten seconds and gives the time left', () => {
    let now = 0;
    const meter = new Meter(10_000_000, 10_000_000, () => now);
    const part = meter.track(10_000_000);
    expect(meter.read().rate).toBeNull(); // one reading is no rate
    for (let s = 1; s <= 20; s++) {
      now = s * 1000;
      part.sent(s * 250_000, 10_000_000); // 250 kB/s
      meter.read();
    }
    const r = meter.read();
    expect(r.rate).toBeCloseTo(250_000, -3);
    expect(r.secondsLeft).toBe(20);
    expect(say(r)).toBe('5.0 MB of 10 MB sent, 0.2 MB/s, less than a minute left');
  });

  test('never reports more than the whole, even with padding and retries', () => {
    const meter = new Meter(4096, 10, () => 0);
    const t = meter.track(4096);
    t.sent(200, 100);
    expect(meter.read().sent).toBe(10);
  });
});

test('sizes and durations read as a person would say them', () => {
  expect(formatBytes(999)).toBe('< 0.1 MB');
  expect(formatBytes(0)).toBe('0.0 MB');
  // Rounded down, and the same words as the server's limits: a 4 GiB limit reads "4.2 GB" on both.
  expect(formatBytes(4_294_967_296)).toBe('4.2 GB');
  expect(formatBytes(4_294_967_296)).toBe(formatLimit(4_294_967_296));
  expect(formatBytes(123_956_789)).toBe('123 MB');
  expect(formatBytes(123_956_789)).toBe(formatLimit(123_956_789));
  expect(formatDuration(59)).toBe('less than a minute');
  expect(formatDuration(61)).toBe('about 1 minute');
  expect(formatDuration(55 * 60)).toBe('about 55 minutes');
  expect(formatDuration(3 * 3600)).toBe('about 3 hours');
});
