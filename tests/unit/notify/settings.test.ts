import { describe, expect, test } from 'vitest';
import { movedText, noticeText } from '../../../server/notify/notice.ts';
import { isMailAddress, notifySettings } from '../../../server/notify/settings.ts';

// The notice address check (it decides where mail goes) and what a carrier reads in the clear.
describe('a notice address', () => {
  test.each(['jo@newsroom.example', "o'brien+desk@news-room.example", 'a.b_c%d@mail.example.org'])('%s is one', (a) => {
    expect(isMailAddress(a)).toBe(true);
  });

  // nodemailer drops NUL and other control characters, so the mail would go to another address than the one checked.
  test.each([
    ['NUL', 'eve\u0000@evil.example'],
    ['NUL before the domain', 'jo@evil.example\u0000.newsroom.example'],
    ['DEL', 'jo\u007f@newsroom.example'],
    ['C1 NEL', 'jo\u0085@newsroom.example'],
    ['C1 CSI', 'jo\u009b@newsroom.example'],
    ['a tab', 'jo\t@newsroom.example'],
    ['non-ASCII', 'jö@newsroom.example'],
    ['a full-width at', 'jo＠newsroom.example'],
    ['a space', 'jo doe@newsroom.example'],
    ['two at signs', 'jo@eve@newsroom.example'],
  ])('with %s is refused', (_what, a) => {
    expect(isMailAddress(a)).toBe(false);
    expect(() => notifySettings({ SEALDROP_SMTP_URL: 'smtp://127.0.0.1:25', SEALDROP_NOTIFY_FROM: a })).toThrow(/one plain mail address/);
  });
});

describe('the subject', () => {
  const relay = { SEALDROP_SMTP_URL: 'smtp://127.0.0.1:25', SEALDROP_NOTIFY_FROM: 'drop@newsroom.example' };

  test('by default names no drop, leak, material, source or newsroom', () => {
    expect(notifySettings(relay).subject).toBeNull();
    for (const { subject } of [noticeText('http://x.onion/'), movedText()]) {
      expect(subject).toBe('Notification');
      expect(subject).not.toMatch(/drop|leak|material|source|submission|new|sealdrop/i);
    }
  });

  test('SEALDROP_NOTIFY_SUBJECT sets it, trimmed, for notices and the moved notice alike', () => {
    const subject = notifySettings({ ...relay, SEALDROP_NOTIFY_SUBJECT: ' Rota reminder ' }).subject;
    expect(subject).toBe('Rota reminder');
    expect(noticeText('http://x.onion/', subject).subject).toBe('Rota reminder');
    expect(movedText(subject).subject).toBe('Rota reminder');
    expect(notifySettings({ ...relay, SEALDROP_NOTIFY_SUBJECT: '通'.repeat(100) }).subject).toHaveLength(100);
  });

  test.each([
    ['two lines', 'Hello\r\nBcc: eve@evil.example'],
    ['a NUL', 'Hello\u0000'],
    ['a C1 character', 'Hello\u0085there'],
    ['a line separator', 'Hello\u2028there'],
    ['101 characters', 'x'.repeat(101)],
    ['only spaces', '   '],
  ])('%s is refused at start', (_what, value) => {
    expect(() => notifySettings({ ...relay, SEALDROP_NOTIFY_SUBJECT: value })).toThrow(/SEALDROP_NOTIFY_SUBJECT must be one line of at most 100 characters/);
  });

  test('without a relay it is refused: only mail has a subject', () => {
    expect(() => notifySettings({ SEALDROP_NOTIFY_SUBJECT: 'Hello' })).toThrow(/SEALDROP_SMTP_URL is not/);
  });
});

test('the moved notice says only that notices no longer come here: no address, link, digit or drop', () => {
  const { text } = movedText();
  expect(text).toContain('Notices for your account will no longer come to this address');
  expect(text).not.toMatch(/[0-9@]|http|onion|drop/i);
});
