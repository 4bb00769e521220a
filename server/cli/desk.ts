import { LANGUAGES } from '../../common/i18n/languages.ts';
import { deskText, type DeskTexts, type Store } from '../store/index.ts';
import { recipientsOf } from '../recipients.ts';
import { CliError, options } from './args.ts';
import { withCliStore } from './store.ts';
import { reportChange } from './two-person.ts';

// `sealdrop desk`: desks and their members from beside the server. Adding a member gives them what
// the desk's sources send from then on, so it is a change (held for a second administrator when
// there are two); removing one is never held. Every action is in the audit log, as 'cli'.

const TEXT_OPTIONS = Object.fromEntries(LANGUAGES.map((l) => [`text-${l.tag}`, { type: 'string' as const }]));

/** `--text-en "Name|Description"`, one per language: the words sources see. */
function textsOf(o: Record<string, string | undefined>): DeskTexts {
  const texts: DeskTexts = {};
  for (const { tag } of LANGUAGES) {
    const value = o[`text-${tag}`];
    if (value === undefined) continue;
    const bar = value.indexOf('|');
    texts[tag] = bar < 0 ? { name: value, description: '' } : { name: value.slice(0, bar), description: value.slice(bar + 1) };
  }
  return texts;
}

async function add(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  if (!name || name.startsWith('--')) throw new CliError('Usage: sealdrop desk add NAME [--text-en "Name|Description"]... [--data DIR]');
  const o = options(rest, { data: { type: 'string' }, ...TEXT_OPTIONS }, []);
  await withCliStore(o.data, (store) => {
    store.desks.create(name, textsOf(o), 'cli');
    console.log(`Added desk ${name}. Add members with: sealdrop desk member --desk ${name} --username NAME`);
    if (store.desks.count() === 2) console.log('With two or more desks, sources choose one on the start page (desks with at least one active member).');
  });
}

async function remove(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  if (!name || name.startsWith('--')) throw new CliError('Usage: sealdrop desk remove NAME [--data DIR]');
  const o = options(rest, { data: { type: 'string' } }, []);
  await withCliStore(o.data, (store) => store.desks.remove(store.desks.get(name).id, 'cli'));
  console.log(`Removed desk ${name}.`);
}

async function list(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' } }, []);
  await withCliStore(o.data, async (store) => {
    const desks = store.desks.list();
    if (desks.length === 0) console.log('No desks: every conversation is read by every active journalist. Add one with: sealdrop desk add NAME');
    // Offered as the source's page is: an active member whose key can still encrypt.
    const recipients = recipientsOf(store);
    for (const d of desks) {
      const members = store.desks.members(d.id).map((j) => (j.active ? j.username : `${j.username} (disabled)`));
      const state = (await recipients(d.id)).keys.length > 0 ? 'offered' : 'not offered: no active member with a usable key';
      console.log(`${d.name}\t${deskText(d, 'en').name}\t${members.join(', ') || '-'}\t${state}`);
    }
  });
}

async function member(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, desk: { type: 'string' }, username: { type: 'string' }, remove: { type: 'boolean' } }, ['desk', 'username']);
  await withCliStore(o.data, async (store: Store) => {
    const desk = store.desks.get(o.desk!);
    const j = store.journalists.get(o.username!);
    if (o.remove) {
      store.desks.removeMember(desk.id, j.id, 'cli');
      return void console.log(`Removed ${j.username} from desk ${desk.name}: what its sources send from now on is no longer encrypted to their key.`);
    }
    const result = await store.changes.request('member', { deskId: desk.id, journalistId: j.id }, null);
    reportChange(store, result, `Added ${j.username} to desk ${desk.name}: what its sources send from now on is encrypted to their key too.`, `Adding ${j.username} to desk ${desk.name}`);
  });
}

export async function deskCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'add') return add(rest);
  if (sub === 'remove') return remove(rest);
  if (sub === 'list') return list(rest);
  if (sub === 'member') return member(rest);
  throw new CliError('Usage: sealdrop desk add|remove|list|member [options]');
}
