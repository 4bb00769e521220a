import { readFile } from 'node:fs/promises';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { isUsername, USERNAME_RULE } from '../../common/ids.ts';
import { CliError, options } from './args.ts';
import { openCliStore } from './store.ts';

async function add(args: string[]): Promise<void> {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' }, 'public-key': { type: 'string' }, admin: { type: 'boolean' } }, ['username', 'public-key']);
  const username = o.username!;
  if (!isUsername(username)) throw new CliError(USERNAME_RULE);
  const raw = await readFile(o['public-key']!).catch(() => {
    throw new CliError(`Cannot read ${o['public-key']}.`);
  });
  const text = raw.toString('utf8');
  const key = await readJournalistKey(text.includes('-----BEGIN PGP') ? text : new Uint8Array(raw));
  const store = openCliStore(o.data);
  try {
    const j = store.journalists.add({ username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: Boolean(o.admin) });
    console.log(`Added journalist ${username}${j.isAdmin ? ' (administrator)' : ''} with key ${key.fingerprint}. New submissions are encrypted to this key too.`);
    printEnrolment(username, store.journalists.createEnrolment(j.id));
  } finally {
    store.close();
  }
}

function printEnrolment(username: string, token: string): void {
  console.log(`To use the web interface, ${username} opens this one-time link on the journalist interface (valid 7 days):`);
  console.log(`  /enrol/${token}`);
}

function enrol(args: string[]): void {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' } }, ['username']);
  const store = openCliStore(o.data);
  try {
    const j = store.journalists.get(o.username!);
    printEnrolment(j.username, store.journalists.createEnrolment(j.id));
  } finally {
    store.close();
  }
}

function list(args: string[]): void {
  const o = options(args, { data: { type: 'string' } }, []);
  const store = openCliStore(o.data);
  try {
    const all = store.journalists.list();
    if (all.length === 0) console.log('No journalists yet. Add one with: sealdrop journalist add --username NAME --public-key KEY.asc');
    for (const j of all) {
      const state = [j.active ? 'active' : 'disabled', j.isAdmin ? 'admin' : '', j.enrolled ? '' : 'not enrolled'].filter(Boolean).join(', ');
      console.log(`${j.username}\t${j.fingerprint}\t${state}\tsince ${j.createdDay}`);
    }
  } finally {
    store.close();
  }
}

function remove(args: string[]): void {
  const o = options(args, { data: { type: 'string' }, username: { type: 'string' } }, ['username']);
  const store = openCliStore(o.data);
  try {
    store.journalists.remove(o.username!);
  } finally {
    store.close();
  }
  console.log(`Removed journalist ${o.username}. New submissions are no longer encrypted to their key.`);
}

export async function journalistCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'add') return add(rest);
  if (sub === 'list') return list(rest);
  if (sub === 'remove') return remove(rest);
  if (sub === 'enrol') return enrol(rest);
  throw new CliError('Usage: sealdrop journalist add|list|remove|enrol [options]');
}
