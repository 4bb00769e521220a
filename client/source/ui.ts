// DOM helpers for the source page: text only (never innerHTML), so nothing a file name holds can run.
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

export type ProgressRow = { update(done: number, total: number): void; fail(message: string): void };

export function progressRow(container: HTMLElement, label: string): ProgressRow {
  const row = document.createElement('div');
  row.className = 'item';
  const text = document.createElement('div');
  text.textContent = `${label}: encrypting…`;
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute('aria-label', label);
  row.append(text, bar);
  container.append(row);
  return {
    update(done, total) {
      bar.max = total;
      bar.value = done;
      text.textContent = done >= total ? `${label}: sent, encrypted` : `${label}: encrypting and sending (${Math.floor((100 * done) / total)}%)`;
    },
    fail(message) {
      text.textContent = `${label}: not sent. ${message}`;
    },
  };
}

export function show(el: HTMLElement, text?: string): void {
  if (text !== undefined) el.textContent = text;
  el.hidden = false;
  el.focus();
}
