import type { Response } from 'express';
import { describe, expect, test } from 'vitest';
import { Sessions } from '../../../server/auth/sessions.ts';
import { notice, noticeTaker } from '../../../server/http/notice.ts';
import { translator } from '../../../server/i18n/index.ts';
import { staffPage, type Viewer } from '../../../server/views/journalist/frame.ts';

// The notice after an action: kept in the in-memory session, shown once by the next staff page, in
// the language that page is read in.
const sessions = new Sessions();
const loggedIn = () => {
  const { session } = sessions.create(7);
  return { session, res: { locals: { session } } as unknown as Response };
};
const viewerOf = (session: ReturnType<typeof loggedIn>['session']): Viewer => ({ username: 'ana', isAdmin: false, csrf: session.csrf, lockMinutes: 15, notice: noticeTaker(session) });
const noticeIn = (html: string) => /<p class="notice" role="status">([^<]*)<\/p>/.exec(html)?.[1];

describe('notice()', () => {
  test('the next staff page shows it once, translated when it renders', () => {
    const { session, res } = loggedIn();
    notice(res, 'staff.script.lockedIdle', { minutes: 3 });
    const zh = staffPage(translator('zh-Hans'), 'x', '<h1>x</h1>', viewerOf(session));
    expect(noticeIn(zh)).toBe(translator('zh-Hans').text('staff.script.lockedIdle', { minutes: 3 }));
    expect(noticeIn(staffPage(translator('en'), 'x', '<h1>x</h1>', viewerOf(session)))).toBeUndefined();
  });

  test('one page rendered in every language (to pad it) shows the same notice in each', () => {
    const { session, res } = loggedIn();
    notice(res, 'staff.key.locked');
    const v = viewerOf(session);
    for (const tag of ['en', 'ug', 'zh-Hant']) expect(noticeIn(staffPage(translator(tag), 'x', '', v))).toBe(translator(tag).text('staff.key.locked'));
    expect(session.notice).toBeUndefined();
  });

  test('values are escaped into the page; a later notice replaces one not yet shown', () => {
    const { session, res } = loggedIn();
    notice(res, 'staff.key.locked');
    notice(res, 'staff.nav.logout', { username: '<img src=x>' });
    expect(noticeIn(staffPage(translator('en'), 'x', '', viewerOf(session)))).toBe('Log out &lt;img src=x&gt;');
  });

  test('only strings and numbers, only catalog keys, only for a logged-in journalist', () => {
    const { session, res } = loggedIn();
    expect(() => notice(res, 'staff.key.locked', { x: {} as unknown as string })).toThrow(TypeError);
    expect(() => notice(res, 'not a key')).toThrow(TypeError);
    expect(session.notice).toBeUndefined();
    const anonymous = { locals: { session: sessions.create(null).session } } as unknown as Response;
    expect(() => notice(anonymous, 'staff.key.locked')).toThrow(TypeError);
  });
});

describe('the frame', () => {
  test('a logged-in page has the nav, the key bar, the token, the notice area and its content in #workspace', () => {
    const { session } = loggedIn();
    const html = staffPage(translator('en'), 'x', '<h1>Inbox</h1>', { ...viewerOf(session), lockMinutes: 4, isAdmin: true });
    expect(html).toMatch(/<div id="workspace" data-lock-minutes="4">\s*<h1>Inbox<\/h1>\s*<\/div>/);
    for (const part of ['<section id="key-panel"', 'id="load-key"', '<button type="button" id="lock-key" hidden>', 'id="key-status"', `id="csrf-token" value="${session.csrf}"`, 'href="/account"', 'href="/admin"', 'action="/logout"', '<div id="notice-area">']) {
      expect(html).toContain(part);
    }
  });

  test('a page for nobody logged in (login, setup, enrolment) has no workspace, key bar or token', () => {
    const html = staffPage(translator('en'), 'x', '<h1>Log in</h1>');
    for (const part of ['id="workspace"', 'key-panel', 'csrf-token', 'staff-nav']) expect(html).not.toContain(part);
  });
});
