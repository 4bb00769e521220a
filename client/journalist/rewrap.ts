import { readPrivateKey, unwrapSessionKey, wrapSessionKey, type PrivateKey } from '../../common/envelope/index.ts';
import { fetchRewrapChoices, postRewrap, type RewrapChoices } from '../api/journalist.ts';
import { t } from '../i18n.ts';
import { currentKey } from './key.ts';

// Sharing an item, moving a conversation and moving one's items to a new key, all in this page:
// the unlocked key unwraps each object's session key, which is wrapped again for the keys the
// server's plan names; only those public-key packets are sent. The session keys live only in
// this function's locals, and the old private key (rotation) only while the rotation runs.

type Plan = { objects: { ref: string; header: string; add: string[] }[]; keys: Record<string, string> };
type Done = { done?: number; pending?: number };

const csrf = () => (document.getElementById('csrf-token') as HTMLInputElement).value;
const fromBase64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const toBase64 = (b: Uint8Array) => btoa(Array.from(b, (c) => String.fromCharCode(c)).join(''));

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text) e.textContent = text;
  return e;
}

/** Plan, re-wrap every object with `keys`, send: the server's answer to the second request. */
async function rewrap(path: string, body: Record<string, unknown>, keys: PrivateKey[], status: HTMLElement): Promise<Done> {
  const plan = await postRewrap<Plan>(path, body, csrf());
  const objects: { ref: string; add: string }[] = [];
  for (const [i, o] of plan.objects.entries()) {
    status.textContent = t('staff.script.rewrap.working', { done: i + 1, total: plan.objects.length });
    const sessionKey = await unwrapSessionKey(fromBase64(o.header), keys);
    try {
      const add = o.add.length ? await wrapSessionKey(sessionKey, o.add.map((id) => plan.keys[id]!)) : new Uint8Array(0);
      objects.push({ ref: o.ref, add: toBase64(add) });
    } finally {
      sessionKey.fill(0); // also when wrapping throws: the key leaves no copy behind in this page
    }
  }
  return postRewrap<Done>(path, { ...body, objects }, csrf());
}

/** Runs one operation from a button: refuses without a key, reports progress and the result in `status`. */
async function run(button: HTMLButtonElement, status: HTMLElement, action: (key: PrivateKey) => Promise<string>): Promise<void> {
  const key = currentKey();
  if (!key) return void (status.textContent = t('staff.script.rewrap.needKey'));
  button.disabled = true;
  try {
    status.textContent = await action(key);
  } catch (error) {
    status.textContent = t('staff.script.rewrap.failed', { reason: (error as Error).message });
  } finally {
    button.disabled = false;
  }
}

function select(id: string, options: [string, string][]): HTMLSelectElement {
  const s = el('select', { id });
  for (const [value, label] of options) s.append(el('option', { value }, label));
  return s;
}

/** The conversation's panel: whom to share with, where to move; a Share button on each item. */
function wireConversationPanel(article: HTMLElement, choices: RewrapChoices): void {
  const sourceId = article.dataset.source!;
  const panel = el('section', { class: 'rewrap', 'aria-labelledby': 'rewrap-heading' });
  const status = el('p', { class: 'rewrap-status', role: 'status' });
  const shareTo = select('share-to', [...choices.journalists.map((u): [string, string] => [`u:${u}`, u]), ...choices.desks.map((d): [string, string] => [`d:${d}`, t('staff.script.rewrap.desk', { desk: d })])]);
  const moveTo = select('move-to', [['', t('staff.script.rewrap.newsroom')], ...choices.desks.map((d): [string, string] => [d, t('staff.script.rewrap.desk', { desk: d })])]);
  const move = el('button', { type: 'button', id: 'move-conversation' }, t('staff.script.rewrap.move'));
  const shareRow = el('p');
  shareRow.append(el('label', { for: 'share-to' }, t('staff.script.rewrap.shareTo')), ' ', shareTo);
  const moveRow = el('p');
  moveRow.append(el('label', { for: 'move-to' }, t('staff.script.rewrap.moveTo')), ' ', moveTo, ' ', move);
  // Nobody to share with (no other journalist, no desk): no Share control that could only fail.
  const canShare = shareTo.options.length > 0;
  panel.append(el('h2', { id: 'rewrap-heading' }, t('staff.script.rewrap.heading')), el('p', {}, t('staff.script.rewrap.how')), ...(canShare ? [shareRow] : []), moveRow, status);
  article.append(panel);

  for (const row of canShare ? article.querySelectorAll<HTMLElement>('li.submission[data-submission]') : []) {
    const share = el('button', { type: 'button', class: 'share-item', 'data-submission': row.dataset.submission! }, t('staff.script.rewrap.share'));
    row.querySelector('.entry-actions')?.append(' ', share);
    share.addEventListener('click', () => {
      const [kind, name] = [shareTo.value.slice(0, 1), shareTo.value.slice(2)];
      const body = { items: [row.dataset.submission], to: kind === 'u' ? { username: name } : { desk: name } };
      void run(share, status, async (key) => t('staff.script.rewrap.shared', { count: (await rewrap(`/conversations/${sourceId}/share`, body, [key], status)).done ?? 0 }));
    });
  }
  move.addEventListener('click', () => {
    void run(move, status, async (key) => {
      const done = await rewrap(`/conversations/${sourceId}/move`, { toDesk: moveTo.value || null }, [key], status);
      return done.pending !== undefined ? t('staff.script.rewrap.pending') : t('staff.script.rewrap.moved', { count: done.done ?? 0 });
    });
  });
}

/** The account page's "Move my items to my new key": the old private key in a second slot, the current one from the key bar. */
function wireRotation(slot: HTMLElement): void {
  const file = el('input', { type: 'file', id: 'old-key-file', accept: '.asc,.gpg,.key,.txt' });
  const passphrase = el('input', { type: 'password', id: 'old-key-passphrase', autocomplete: 'off' });
  const button = el('button', { type: 'button', id: 'rotate-items' }, t('staff.script.rewrap.rotateHeading'));
  const status = el('p', { class: 'rewrap-status', role: 'status' });
  const fileRow = el('p');
  fileRow.append(el('label', { for: 'old-key-file' }, t('staff.script.rewrap.oldKey')), ' ', file);
  const passRow = el('p');
  passRow.append(el('label', { for: 'old-key-passphrase' }, t('staff.script.rewrap.oldPassphrase')), ' ', passphrase);
  slot.append(el('h2', {}, t('staff.script.rewrap.rotateHeading')), el('p', {}, t('staff.script.rewrap.rotateHow')), fileRow, passRow, el('p', {}, ''), status);
  slot.querySelector('p:empty')?.append(button);
  slot.hidden = false;
  button.addEventListener('click', () => {
    const chosen = file.files?.[0];
    if (!chosen) return void (status.textContent = t('staff.script.rewrap.chooseOld'));
    void run(button, status, async (key) => {
      const old = await readPrivateKey(await chosen.text(), passphrase.value || undefined);
      passphrase.value = '';
      const done = await rewrap('/account/rotate', {}, [old, key], status);
      return t('staff.script.rewrap.rotated', { count: done.done ?? 0 });
    });
  });
}

export function wireRewrap(root: ParentNode): void {
  const article = root.querySelector<HTMLElement>('article.conversation[data-source]');
  const slot = root.querySelector<HTMLElement>('#rotate-items-slot');
  if ((!article || article.querySelector('.rewrap')) && (!slot || !slot.hidden)) return;
  void fetchRewrapChoices()
    .then((choices) => {
      if (article && !article.querySelector('.rewrap')) wireConversationPanel(article, choices);
      if (slot && slot.hidden && choices.retired > 0) wireRotation(slot);
    })
    .catch(() => undefined);
}
