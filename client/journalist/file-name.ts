import { safeFileName } from '../../common/filenames.ts';
import { t } from '../i18n.ts';

// A manifest's file name was chosen by a stranger: shown on screen it must not be able to reorder
// the words around it (U+202E "RIGHT-TO-LEFT OVERRIDE" makes "invoice‮fdp.exe" read as
// "invoiceexe.pdf"). It is shown as safeFileName makes it (bidi and control characters replaced,
// as when it is saved), and in a <bdi> of its own, so even its ordinary right-to-left letters stay
// inside it.

// A private-use character no catalog holds: where the translated sentence puts the name.
const MARK = '\uE000';

/** Fills `el` with the sentence `key`, its {name} the file's name made safe and isolated. */
export function writeWithName(el: HTMLElement, key: string, name: string, values: Record<string, string | number> = {}): void {
  const [before = '', ...after] = t(key, { ...values, name: MARK }).split(MARK);
  const nodes: (Node | string)[] = [before];
  for (const rest of after) nodes.push(bdi(name), rest);
  el.replaceChildren(...nodes);
}

function bdi(name: string): HTMLElement {
  const el = document.createElement('bdi');
  el.className = 'file-name';
  el.textContent = safeFileName(name);
  return el;
}
