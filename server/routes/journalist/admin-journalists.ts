import { Router, type Request, type Response } from 'express';
import { readJournalistKey } from '../../../common/envelope/index.ts';
import { renderNotice } from '../../views/journalist/frame.ts';
import { renderConfirmation } from '../../views/journalist/confirm.ts';
import { HttpError } from '../../http/errors.ts';
import { notice } from '../../http/notice.ts';
import { locals } from '../../http/session.ts';
import { formFields, usernameField, viewer, type JournalistDeps } from './common.ts';
import { requestChange } from './two-person.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';
import { ADMIN_ACTIONS, type TakeAwayAction, type Journalist } from '../../store/index.ts';

const HOME = '/admin/journalists';

/** Adding, disabling, enabling, resetting, re-keying and removing journalists (the admin gate is adminRoutes'). */
export function journalistAdminRoutes({ store, sessions, onionAccess }: JournalistDeps): Router {
  const router = Router();

  const target = (req: Request) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(404, said('staff.error.noJournalist'));
    return store.journalists.byId(id);
  };
  const notSelf = (res: Response, id: number, key: 'staff.error.notSelfDisable' | 'staff.error.notSelfRemove' | 'staff.changes.error.notSelfDemote') => {
    if (locals(res).journalist!.id === id) throw new HttpError(409, said(key));
  };
  const showLink = (req: Request, res: Response, j: { id: number; username: string }, first: string) => showEnrolment({ store, onionAccess }, req, res, j, first);
  // Logged out everywhere, and (with onion services) their device no longer reaches the journalist onion.
  const shutOut = (id: number) => {
    sessions.destroyFor(id);
    onionAccess?.sync();
  };

  const SELF = { disable: 'staff.error.notSelfDisable', remove: 'staff.error.notSelfRemove', demote: 'staff.changes.error.notSelfDemote' } as const;
  const DONE = { disable: 'staff.admin.done.disabled', remove: 'staff.admin.done.removed', demote: 'staff.changes.done.demoted' } as const;
  /**
   * Disabling, removing, demoting or resetting: taking an administrator away waits for a second one
   * (else one stolen account removes the other and then acts alone); anyone else goes at once.
   */
  async function takeAway(req: Request, res: Response, j: Journalist, action: TakeAwayAction): Promise<void> {
    if (action !== 'reset') notSelf(res, j.id, SELF[action]);
    if (action === 'demote' && !j.isAdmin) throw new HttpError(409, said('staff.changes.error.notAdmin'));
    formFields(req, []);
    if (await requestChange(store, res, 'admin', { journalistId: j.id, action })) return notice(res, j.isAdmin ? 'staff.changes.held.admin' : 'staff.changes.held.account', { username: j.username });
    if (action === 'demote') return notice(res, DONE.demote, { username: j.username });
    shutOut(j.id);
    if (action === 'reset') return showLink(req, res, j, tOf(res).text('staff.notice.reset', { username: j.username }));
    notice(res, DONE[action], { username: j.username, fingerprint: j.fingerprint });
  }

  // Through the two-person rule: with two administrators the new key is inactive until a second one confirms it.
  router.post('/admin/journalists', async (req, res) => {
    const f = formFields(req, ['username', 'public_key', 'admin'], ['admin']);
    usernameField(f.username);
    if (f.admin !== '' && f.admin !== '1') throw new HttpError(400, said('staff.error.adminField'));
    const key = await readJournalistKey(f.public_key.trim());
    const { journalist: j, result } = await store.changes.addJournalist({ username: f.username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: f.admin === '1' }, locals(res).journalist!.id);
    const t = tOf(res);
    showLink(req, res, j, result.applied ? t.text('staff.notice.added', { username: j.username }) : t.text('staff.changes.addedHeld', { username: j.username }));
  });

  // Removal asks once, naming who goes; the confirmation's form posts back here.
  router.get('/admin/journalists/:id/remove', (req, res) => {
    const j = target(req);
    notSelf(res, j.id, 'staff.error.notSelfRemove');
    res.type('html').send(removal(res, j));
  });

  router.post('/admin/journalists/:id/:action', async (req, res) => {
    const j = target(req);
    const action = String(req.params.action);
    if (action === 'key') {
      const key = await readJournalistKey(formFields(req, ['public_key']).public_key.trim());
      const held = await requestChange(store, res, 'key', { journalistId: j.id, publicKey: key.armored, recipientKeyId: key.recipientKeyId });
      notice(res, held ? 'staff.changes.held.key' : 'staff.admin.done.keyReplaced', { username: j.username, fingerprint: key.fingerprint });
    } else if (action === 'enable') {
      formFields(req, []);
      const held = await requestChange(store, res, 'enable', { journalistId: j.id });
      onionAccess?.sync();
      notice(res, held ? 'staff.changes.held.enable' : 'staff.admin.done.enabled', { username: j.username });
    } else if ((ADMIN_ACTIONS as readonly string[]).includes(action)) {
      await takeAway(req, res, j, action as TakeAwayAction);
      if (res.headersSent) return; // a reset's enrolment link page
    } else if (action === 'access' && onionAccess?.enabled) {
      formFields(req, []);
      // Another active administrator's key waits for a second one: replacing it locks them out.
      if (await requestChange(store, res, 'admin', { journalistId: j.id, action: 'onion' })) notice(res, 'staff.changes.held.admin', { username: j.username });
      else return showAccess({ store, onionAccess }, res, j, HOME);
    } else throw new HttpError(404, said('staff.error.noAction'));
    res.redirect(303, HOME);
  });

  return router;
}

const backTo = (res: Response, href: string) => ({ href, label: tOf(res).text('staff.notice.back') });

/** A new onion access key for `j`, shown once (the old one stops working); after an applied 'onion' change. */
export function showAccess({ onionAccess }: Pick<JournalistDeps, 'store' | 'onionAccess'>, res: Response, j: { id: number; username: string }, back: string): void {
  const line = onionAccess!.issue(j.id)!;
  const t = tOf(res);
  const codes = [{ id: 'notice-access', label: t.text('staff.notice.accessKey'), value: line }];
  res.type('html').send(renderNotice(t, t.text('staff.notice.accessTitle'), [t.text('staff.notice.accessOld', { username: j.username })], { viewer: viewer(res), codes, link: backTo(res, back) }));
}

/** A journalist's one-time enrolment link (after adding or resetting them), with their onion access key when there is one. */
export function showEnrolment({ store, onionAccess }: Pick<JournalistDeps, 'store' | 'onionAccess'>, req: Request, res: Response, j: { id: number; username: string }, first: string, back = HOME): void {
  // Recorded as the link's issuer: changes.ts never lets the two confirm each other's changes.
  const link = `${req.protocol}://${req.get('host')}/enrol/${store.journalists.createEnrolment(j.id, locals(res).journalist!.id)}`;
  // The device that opens the link over Tor needs the access key first: both go together, once.
  const access = onionAccess?.issue(j.id) ?? null;
  const t = tOf(res);
  const codes = access ? [{ id: 'notice-access', label: t.text('staff.notice.accessKey'), value: access }] : [];
  res.type('html').send(renderNotice(t, t.text('staff.notice.enrolTitle'), [first, t.text('staff.notice.enrolGive', { username: j.username })], { viewer: viewer(res), code: link, codes, link: backTo(res, back) }));
}

/** The one question before a journalist goes: who (username, key fingerprint) and what it means. */
function removal(res: Response, j: Journalist): string {
  const t = tOf(res);
  return renderConfirmation({
    t,
    viewer: viewer(res),
    title: t.text('staff.admin.removeTitle', { username: j.username }),
    lines: [{ text: t.text('staff.admin.removeWho', { username: j.username, fingerprint: j.fingerprint }) }],
    warning: t.text('staff.admin.removeWarning'),
    action: `/admin/journalists/${j.id}/remove`,
    confirm: t.text('staff.admin.removeConfirm', { username: j.username }),
    cancel: HOME,
  });
}
