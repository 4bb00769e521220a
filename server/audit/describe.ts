import type { Translator } from '../i18n/index.ts';
import type { AuditEntry } from '../store/index.ts';

// An audit entry in the reader's words: who, what, and its details, each from the catalogs
// (staff.audit.*). An action or detail this version does not know (a newer version wrote it)
// is shown by its stored name rather than hidden: the log must never look shorter than it is.

/**
 * Every action the code appends, with its words (keys written out whole, so the catalog test finds
 * them). Dotted lowercase names as docs/desks.md lists them.
 */
export const AUDIT_ACTIONS: Readonly<Record<string, string>> = {
  'login.ok': 'staff.audit.do.loginOk',
  'login.failed': 'staff.audit.do.loginFailed',
  'logout': 'staff.audit.do.logout',
  'account.passphrase': 'staff.audit.do.accountPassphrase',
  'account.notify': 'staff.audit.do.accountNotify',
  'account.lock': 'staff.audit.do.accountLock',
  'journalist.add': 'staff.audit.do.journalistAdd',
  'journalist.remove': 'staff.audit.do.journalistRemove',
  'journalist.disable': 'staff.audit.do.journalistDisable',
  'journalist.enable': 'staff.audit.do.journalistEnable',
  'journalist.reset': 'staff.audit.do.journalistReset',
  'journalist.enrol': 'staff.audit.do.journalistEnrol',
  'journalist.admin': 'staff.audit.do.journalistAdmin',
  'journalist.onion': 'staff.audit.do.journalistOnion',
  'journalist.key': 'staff.audit.do.journalistKey',
  'desk.add': 'staff.audit.do.deskAdd',
  'desk.remove': 'staff.audit.do.deskRemove',
  'desk.texts': 'staff.audit.do.deskTexts',
  'desk.member-removed': 'staff.audit.do.deskMemberRemoved',
  'change.request': 'staff.audit.do.changeRequest',
  'change.confirm': 'staff.audit.do.changeConfirm',
  'change.reject': 'staff.audit.do.changeReject',
  'change.cleanup': 'staff.audit.do.changeCleanup',
  'access.enable': 'staff.audit.do.accessEnable',
  'access.key': 'staff.audit.do.accessKey',
  'access.member': 'staff.audit.do.accessMember',
  'access.move': 'staff.audit.do.accessMove',
  'access.admin': 'staff.audit.do.accessAdmin',
  'access.desk-texts': 'staff.audit.do.accessDeskTexts',
  'access.enrol': 'staff.audit.do.accessEnrol',
  'access.onion': 'staff.audit.do.accessOnion',
  'access.share': 'staff.audit.do.accessShare',
  'access.rotate': 'staff.audit.do.accessRotate',
  'access.member-removed': 'staff.audit.do.accessMemberRemoved',
  'delete.conversation': 'staff.audit.do.deleteConversation',
  'delete.item': 'staff.audit.do.deleteItem',
  'delete.bulk': 'staff.audit.do.deleteBulk',
  'export': 'staff.audit.do.export',
  'backup': 'staff.audit.do.backup',
  'restore': 'staff.audit.do.restore',
  'settings.retention': 'staff.audit.do.settingsRetention',
  'settings.branding': 'staff.audit.do.settingsBranding',
  'settings.notifications': 'staff.audit.do.settingsNotifications',
};

/** Detail names with words of their own; others show their stored name. */
export const AUDIT_FIELDS: Readonly<Record<string, string>> = {
  journalist: 'staff.audit.field.journalist',
  username: 'staff.audit.field.username',
  fingerprint: 'staff.audit.field.fingerprint',
  admin: 'staff.audit.field.admin',
  reason: 'staff.audit.field.reason',
  via: 'staff.audit.field.via',
  mail: 'staff.audit.field.mail',
  encrypt: 'staff.audit.field.encrypt',
  minutes: 'staff.audit.field.minutes',
  conversations: 'staff.audit.field.conversations',
  days: 'staff.audit.field.days',
  language: 'staff.audit.field.language',
  what: 'staff.audit.field.what',
  to: 'staff.audit.field.to',
  reset2fa: 'staff.audit.field.reset2fa',
  added: 'staff.audit.field.added',
  removed: 'staff.audit.field.removed',
  desk: 'staff.audit.field.desk',
  requestedBy: 'staff.audit.field.requestedBy',
  confirmedBy: 'staff.audit.field.confirmedBy',
  kind: 'staff.audit.field.kind',
  change: 'staff.audit.field.change',
  changes: 'staff.audit.field.changes',
  action: 'staff.audit.field.action',
};

const ACTORS: Readonly<Record<string, string>> = { cli: 'staff.audit.actor.cli', system: 'staff.audit.actor.system', anonymous: 'staff.audit.actor.anonymous' };

/** Who acted, in words: a username as typed, or what 'cli', 'system' and 'anonymous' stand for. */
export function describeActor(t: Translator, actor: string): string {
  if (actor.startsWith('journalist:')) return actor.slice('journalist:'.length);
  return Object.hasOwn(ACTORS, actor) ? t.text(ACTORS[actor]!) : actor;
}

/** What was done, in words (a sentence without a subject: the actor column says who). */
export function describeAction(t: Translator, action: string): string {
  return Object.hasOwn(AUDIT_ACTIONS, action) ? t.text(AUDIT_ACTIONS[action]!) : t.text('staff.audit.do.other', { action });
}

/** Each detail as a label and a value, both plain text: booleans as yes/no, lists joined. */
export function describeDetail(t: Translator, e: AuditEntry): { label: string; value: string }[] {
  return Object.entries(e.detail).map(([name, v]) => ({
    label: Object.hasOwn(AUDIT_FIELDS, name) ? t.text(AUDIT_FIELDS[name]!) : name,
    value: typeof v === 'boolean' ? t.text(v ? 'staff.audit.yes' : 'staff.audit.no') : Array.isArray(v) ? v.join(', ') : String(v),
  }));
}

/**
 * When, as stored: a staff action to the second (shown as "YYYY-MM-DD HH:MM:SS UTC"), anything a
 * source caused to the day only (shown as the day: there is nothing finer to show).
 */
export function describeTime(at: string): { datetime: string; shown: string } {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})Z$/.exec(at);
  return m ? { datetime: at, shown: `${m[1]} ${m[2]} UTC` } : { datetime: at, shown: at };
}

/** One line of plain text for an entry (the CLI's and tests' view of what the page shows). */
export function describeEntry(t: Translator, e: AuditEntry): string {
  const details = describeDetail(t, e).map((d) => `${d.label}: ${d.value}`);
  return [`#${e.seq}`, describeTime(e.at).shown, describeActor(t, e.actor), describeAction(t, e.action), ...details].join(' · ');
}
