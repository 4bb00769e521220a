import { isUsername } from '../../common/ids.ts';
import { inEnglish, said } from '../i18n/said.ts';
import { CliError, options } from './args.ts';
import { OnionAccess } from '../tor/access.ts';
import type { Store } from '../store/index.ts';
import { readKeyFile } from './key-file.ts';
import { withCliStore } from './store.ts';
import { PENDING, reportChange, warnFewAdmins } from './two-person.ts';
import { loadConfig } from '../config.ts';
import { isMailAddress } from '../notify/settings.ts';

/**
 * Where journalists open the links the CLI prints: SEALDROP_JOURNALIST_URL if set, else the
 * journalist onion address, else the journalist listener itself (loopback, reached by a tunnel).
 * Null when the listener's port is 0: the system chose the running server's, which the CLI cannot know.
 */
function journalistBase(onion: OnionAccess): string | null {
  const config = loadConfig();
  if (config.journalistUrl) return config.journalistUrl;
  if (onion.journalistUrl !== '/') return onion.journalistUrl;
  if (config.journalistPort === 0) return null;
  const host = config.journalistHost.includes(':') ? `[${config.journalistHost}]` : config.journalistHost;
  return `http://${host}:${config.journalistPort}/`;
}

/** The command's store (withCliStore) with who may reach the journalist onion. */
const withOnion = <T>(data: string | undefined, act: (store: Store, onion: OnionAccess) => T | Promise<T>): Promise<T> =>
  withCliStore(data, (store, at) => act(store, new OnionAccess(at.dataDir, store)));

const TOR_NOTE = 'Tor is told at once if `sealdrop onion` runs; a system tor needs `sealdrop onion --torrc-only` again (see docs/deploy.md).';

async function add(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' }, 'public-key': { type: 'string' }, admin: { type: 'boolean' } }, ['username', 'public-key']);
  const username = o.username!;
  if (!isUsername(username)) throw new CliError(inEnglish(said('staff.error.username')));
  const key = await readKeyFile(o['public-key']!);
  await withOnion(o.data, async (store, onion) => {
    // Two administrators: the journalist waits, disabled, until a second one confirms (nothing is encrypted to the key before).
    const { journalist: j, result } = await store.changes.addJournalist({ username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: Boolean(o.admin) }, null);
    const who = `journalist ${username}${j.isAdmin ? ' (administrator)' : ''} with key ${key.fingerprint}`;
    reportChange(store, result, `Added ${who}. New submissions are encrypted to this key too.`, `Added ${who}, disabled: nothing is encrypted to this key until it is confirmed. Enabling ${username}`);
    // Administrator only once a second one confirms it: a change of its own (changes.ts addJournalist).
    const promote = store.changes.pendingOf('admin').find((c) => c.payload.action === 'promote' && c.payload.journalistId === j.id);
    if (promote) console.log(`Making ${username} an administrator: ${PENDING} (change ${promote.id}).`);
    printEnrolment(store, onion, j);
  });
}

/** The enrolment link and, with onion services, the access key the device needs to open it: shown once. */
function printEnrolment(store: Store, onion: OnionAccess, j: { id: number; username: string }): void {
  const access = onion.issue(j.id);
  const base = journalistBase(onion);
  const path = `enrol/${store.journalists.createEnrolment(j.id)}`;
  if (base) {
    console.log(`To use the web interface, ${j.username} opens this one-time link on the journalist interface (valid 7 days):`);
    console.log(`  ${base}${path}`);
  } else {
    console.log(`To use the web interface, ${j.username} opens this one-time link path (valid 7 days) on the running server's journalist interface,`);
    console.log('at the address it printed when it started ("Sealdrop journalist interface"): SEALDROP_JOURNALIST_PORT=0 lets the system choose the port.');
    console.log(`  /${path}`);
  }
  if (access) printAccess(j.username, access);
}

function printAccess(username: string, line: string): void {
  console.log(`Give ${username} this Tor Browser access key too; without it the journalist onion does not open. Shown only once:`);
  console.log(`  ${line}`);
  console.log('In Tor Browser: open the address, paste the key when asked. For a tor of their own: save the line in a file ending .auth_private in its ClientOnionAuthDir.');
}

/**
 * A new enrolment link. For an active journalist who has already enrolled it is a reset (whoever
 * holds the link can become them), held for a second administrator like the web's; recorded as an
 * access entry either way, so every journalist is told.
 */
async function enrol(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' } }, ['username']);
  await withOnion(o.data, async (store, onion) => {
    const j = store.journalists.get(o.username!);
    if (j.enrolled && j.active) {
      const result = await store.changes.request('admin', { journalistId: j.id, action: 'reset' }, null);
      if (!result.applied) return void console.log(`Resetting ${j.username}'s login: ${PENDING} (change ${result.id}). The one who confirms is shown the new link.`);
      warnFewAdmins(store);
    }
    printEnrolment(store, onion, j);
    store.audit.append({ actor: 'cli', action: 'access.enrol', detail: { added: [], removed: [], journalist: j.username } });
  });
}

/**
 * A new onion access key alone, e.g. for a lost device: the old key stops working. For an active
 * administrator it is an 'onion' change (else one shell locks the other administrator out).
 */
async function access(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' } }, ['username']);
  await withOnion(o.data, async (store, onion) => {
    const j = store.journalists.get(o.username!);
    if (!onion.enabled) throw new CliError('This drop has no onion services yet: start it once with `sealdrop onion` (or make the torrc with --torrc-only).');
    const result = await store.changes.request('admin', { journalistId: j.id, action: 'onion' }, null);
    if (!result.applied) return void console.log(`A new onion access key for ${j.username}: ${PENDING} (change ${result.id}). The one who confirms is shown the key.`);
    printAccess(j.username, onion.issue(j.id)!);
    console.log(TOR_NOTE);
  });
}

/** Enabling adds a reader, and disabling an administrator takes one away: both are changes. */
async function setActive(args: string[], active: boolean): Promise<void> {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' } }, ['username']);
  const applied = await withOnion(o.data, async (store, onion) => {
    const j = store.journalists.get(o.username!);
    const result = await store.changes.request(active ? 'enable' : 'admin', active ? { journalistId: j.id } : { journalistId: j.id, action: 'disable' }, null);
    if (!result.applied) console.log(`${active ? 'Enabling' : 'Disabling'} ${j.username}: ${PENDING} (change ${result.id}).`);
    else warnFewAdmins(store);
    onion.sync();
    return result.applied;
  });
  if (!applied) return;
  console.log(active ? `Enabled ${o.username}.` : `Disabled ${o.username}: new submissions are no longer encrypted to their key, and their Tor access key no longer opens the journalist interface. Their web sessions end within a minute.`);
  console.log(TOR_NOTE);
}

async function list(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' } }, []);
  await withOnion(o.data, (store, onion) => {
    const all = store.journalists.list();
    if (all.length === 0) console.log('No journalists yet. Add one with: sealdrop journalist add --username NAME --public-key KEY.asc');
    for (const j of all) {
      const state = [j.active ? 'active' : 'disabled', j.isAdmin ? 'admin' : '', j.enrolled ? '' : 'not enrolled', onion.enabled && !j.hasOnionAccess ? 'no Tor access key' : ''].filter(Boolean).join(', ');
      console.log(`${j.username}\t${j.fingerprint}\t${state}\tsince ${j.createdDay}`);
    }
  });
}

async function remove(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' } }, ['username']);
  const applied = await withOnion(o.data, async (store, onion) => {
    // Removing an administrator waits for a second one (else one stolen account removes the other).
    const result = await store.changes.request('admin', { journalistId: store.journalists.get(o.username!).id, action: 'remove' }, null);
    if (!result.applied) console.log(`Removing ${o.username}: ${PENDING} (change ${result.id}).`);
    else warnFewAdmins(store);
    onion.sync();
    return result.applied;
  });
  if (!applied) return;
  console.log(`Removed journalist ${o.username}. New submissions are no longer encrypted to their key, and their Tor access key no longer opens the journalist interface.`);
}

/** Whether and where a journalist is told of new material: what their account page sets. */
async function notify(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' }, email: { type: 'string' }, encrypt: { type: 'boolean' }, off: { type: 'boolean' } }, ['username']);
  if (o.off ? o.email !== undefined || o.encrypt : o.email === undefined) throw new CliError('Give --email ADDR (and --encrypt to encrypt notices to their own key), or --off.');
  if (o.email !== undefined && !isMailAddress(o.email)) throw new CliError('--email must be one plain mail address, like name@example.org. Nothing was changed.');
  const choice = o.off ? { email: null, encrypt: false } : { email: o.email!, encrypt: Boolean(o.encrypt) };
  await withCliStore(o.data, (store) => {
    const j = store.journalists.get(o.username!);
    store.journalists.setNotify(j.id, choice);
    store.audit.append({ actor: 'cli', action: 'account.notify', detail: { journalist: j.username, mail: choice.email !== null, encrypt: choice.encrypt } });
  });
  if (!choice.email) return void console.log(`${o.username} is no longer told of new material.`);
  console.log(`${o.username} is told of new material at ${choice.email}${choice.encrypt ? ', encrypted to their own key' : ''}: one notice per window of SEALDROP_NOTIFY_MINUTES, saying only that there is something new.`);
  if (!loadConfig().notify.smtp) console.log('SEALDROP_SMTP_URL is not set, so no mail goes out until it is (see README, "Notices of new material").');
}

export async function journalistCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'add') return add(rest);
  if (sub === 'list') return list(rest);
  if (sub === 'remove') return remove(rest);
  if (sub === 'enrol') return enrol(rest);
  if (sub === 'access') return access(rest);
  if (sub === 'disable' || sub === 'enable') return setActive(rest, sub === 'enable');
  if (sub === 'notify') return notify(rest);
  if (sub === 'rotate-key') return (await import('./rotate.ts')).rotateKeyCommand(rest);
  throw new CliError('Usage: sealdrop journalist add|list|enrol|access|notify|rotate-key|disable|enable|remove [options]');
}
