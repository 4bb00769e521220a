import { openText, type PrivateKey } from '../../common/envelope/index.ts';
import { fetchLabels } from '../api/journalist.ts';
import { currentKey, onKeyChange } from './key.ts';
import { fromBase64 } from './labels.ts';
import { t } from '../i18n.ts';

// The conversation list's page side: selecting lines for the bulk buttons, and finding a
// conversation by its label. Labels are decrypted here with the unlocked key and searched here:
// nothing about a label, typed or decrypted, goes to the server.

type Labelled = { id: string; designation: string; label: string };

const wired = new WeakSet<Element>();
const once = (el: Element) => (wired.has(el) ? false : (wired.add(el), true));

/** The bulk buttons work only on a selection: disabled while nothing is selected. */
function wireBulk(form: HTMLFormElement): void {
  const boxes = () => [...form.querySelectorAll<HTMLInputElement>('input.select')];
  const all = form.querySelector<HTMLInputElement>('#select-all');
  const update = () => {
    const chosen = boxes().filter((b) => b.checked).length;
    for (const button of form.querySelectorAll<HTMLButtonElement>('button.bulk-action')) button.disabled = chosen === 0;
    if (all) {
      all.checked = chosen > 0 && chosen === boxes().length;
      all.indeterminate = chosen > 0 && chosen < boxes().length;
    }
  };
  if (all) {
    all.closest<HTMLElement>('.select-all')!.hidden = false;
    all.addEventListener('change', () => {
      for (const b of boxes()) b.checked = all.checked;
      update();
    });
  }
  form.addEventListener('change', (event) => {
    if ((event.target as Element).matches('input.select')) update();
  });
  update();
}

// Decrypted once per unlock, kept in this module's memory only, dropped at lock.
let labels: Promise<Labelled[]> | null = null;

async function openAll(key: PrivateKey): Promise<Labelled[]> {
  const out: Labelled[] = [];
  for (const l of await fetchLabels()) {
    try {
      out.push({ ...l, label: await openText({ data: fromBase64(l.label), keys: [key] }) });
    } catch {
      // A label sealed before this journalist's key was added cannot be opened with it.
    }
  }
  return out;
}

/** Every conversation whose label holds what was typed (any case), linked, beyond this page too. */
async function search(input: HTMLInputElement, list: HTMLElement, key: PrivateKey): Promise<void> {
  const typed = input.value.trim().toLocaleLowerCase();
  labels ??= openAll(key);
  const all = await labels;
  if (currentKey() !== key || input.value.trim().toLocaleLowerCase() !== typed) return; // locked, or typed on
  const found = typed === '' ? [] : all.filter((l) => l.label.toLocaleLowerCase().includes(typed));
  list.replaceChildren(
    ...found.map((l) => {
      const item = document.createElement('li');
      const link = document.createElement('a');
      link.href = `/conversations/${encodeURIComponent(l.id)}`;
      link.textContent = l.designation;
      const label = document.createElement('span');
      label.dir = 'auto';
      label.textContent = l.label;
      item.append(link, ' · ', label);
      return item;
    }),
  );
  const status = document.getElementById('label-count');
  if (status) status.textContent = typed === '' ? '' : t('staff.script.listMatches', { count: found.length });
}

function wireFilter(box: HTMLElement): void {
  const input = box.querySelector<HTMLInputElement>('#label-filter')!;
  const list = box.querySelector<HTMLElement>('#label-matches')!;
  input.addEventListener('input', () => {
    const key = currentKey();
    if (key) search(input, list, key).catch(() => void (list.textContent = t('staff.script.listLabelsFailed')));
  });
  box.hidden = currentKey() === null;
}

/** The list's listeners under root (each element once); safe on every swap of #workspace. */
export function wireList(root: ParentNode): void {
  for (const form of root.querySelectorAll<HTMLFormElement>('form#bulk')) if (once(form)) wireBulk(form);
  for (const box of root.querySelectorAll<HTMLElement>('#label-search')) {
    labels = null; // a list shown again may follow a label saved on a conversation's page
    if (once(box)) wireFilter(box);
  }
}

// The label search exists only while a key is unlocked; locking empties it and forgets the labels.
onKeyChange((key) => {
  labels = null;
  const box = document.getElementById('label-search');
  if (!box) return;
  box.hidden = key === null;
  if (key) return;
  (box.querySelector('#label-filter') as HTMLInputElement).value = '';
  box.querySelector('#label-matches')!.replaceChildren();
  const status = document.getElementById('label-count');
  if (status) status.textContent = '';
});
