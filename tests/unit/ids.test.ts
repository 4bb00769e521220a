import { describe, expect, test } from 'vitest';
import { isId, isLoginSecret, isUsername, USERNAME_PATTERN } from '../../common/ids.ts';
import { limitsOf, loadConfig } from '../../server/config.ts';

describe('common/ids.ts: one rule for ids and usernames', () => {
  test('an id is exactly 32 lower-case hex digits', () => {
    expect(isId('0123456789abcdef0123456789abcdef')).toBe(true);
    for (const bad of ['0123456789ABCDEF0123456789ABCDEF', '0123456789abcdef0123456789abcde', '../etc/passwd', 42, undefined]) expect(isId(bad)).toBe(false);
  });

  test('a login secret is exactly 64 lower-case hex digits, what deriveSourceSecrets makes', () => {
    expect(isLoginSecret('0f'.repeat(32))).toBe(true);
    for (const bad of ['0F'.repeat(32), '0'.repeat(63), '0'.repeat(65), 'g'.repeat(64), 42, null]) expect(isLoginSecret(bad)).toBe(false);
  });

  test('the username rule and the HTML pattern attribute agree', () => {
    const html = new RegExp(`^(?:${USERNAME_PATTERN})$`, 'v'); // how browsers compile pattern=""
    for (const name of ['jo', 'a.b_c-d', 'x'.repeat(64), 'Jo', '-jo', 'x'.repeat(65), 'jo smith']) expect(html.test(name)).toBe(isUsername(name));
    expect(isUsername('a.b_c-d')).toBe(true);
    expect(isUsername('-jo')).toBe(false);
  });
});

test('limitsOf derives the part count and the MiB figure sources are told', () => {
  const limits = limitsOf(loadConfig({ SEALDROP_PART_SIZE: String(1024 * 1024), SEALDROP_MAX_FILE_BYTES: String(10 * 1024 * 1024 + 1) }));
  expect(limits.maxFileMiB).toBe(10);
  expect(limits.maxParts).toBeGreaterThanOrEqual(11); // padding may add a part, never remove one
});
