// DOM helpers for the source page: text only (never innerHTML), so nothing a file name holds can run.
import { describe, type Meter } from './meter.ts';
import type { Watch } from './send.ts';
import type { LinkState } from './upload.ts';
import { t } from '../i18n.ts';

export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

export type ProgressRow = Watch & { readonly element: HTMLElement; done(): void; fail(message: string): void };

/**
 * One item's line: redrawn every second from its meter (bytes, rate, time left). Screen readers
 * hear only the milestones, through `summary` (a polite live region), not a number every second.
 * `replacing`: the item's line from an earlier send, which this one takes the place of.
 */
export function progressRow(container: HTMLElement, summary: HTMLElement, label: string, replacing?: HTMLElement): ProgressRow {
  const row = document.createElement('div');
  row.className = 'item';
  const text = document.createElement('div');
  text.textContent = t('client.encrypting', { label });
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute('aria-label', label);
  row.append(text, bar);
  if (replacing?.isConnected) replacing.replaceWith(row);
  else container.append(row);
  let timer = 0;
  let quarter = 0;
  let link: LinkState = { reconnecting: false, attempt: 0 };
  const say = (words: string) => (summary.textContent = words);
  const draw = (meter: Meter) => {
    const r = meter.read();
    bar.max = r.total || 1;
    bar.value = r.sent;
    text.textContent = link.reconnecting
      ? t('client.reconnecting', { label, attempt: link.attempt })
      : t('client.progress', { label, progress: describe(r) });
    const reached = Math.floor((4 * r.sent) / (r.total || 1));
    if (reached > quarter && reached < 4) say(t('client.heard.percent', { label, percent: (quarter = reached) * 25 }));
  };
  const stop = () => clearInterval(timer);
  return {
    element: row,
    started(meter) {
      stop();
      draw(meter);
      timer = setInterval(() => draw(meter), 1000) as unknown as number;
    },
    link(state) {
      if (state.reconnecting !== link.reconnecting) say(t(state.reconnecting ? 'client.heard.reconnecting' : 'client.heard.reconnected', { label }));
      link = state;
    },
    done() {
      stop();
      bar.value = bar.max;
      text.textContent = t('client.sent', { label });
      say(t('client.heard.sent', { label }));
    },
    fail(message) {
      stop();
      text.textContent = t('client.failed', { label, reason: message });
      say(text.textContent);
    },
  };
}

export function show(el: HTMLElement, text?: string): void {
  if (text !== undefined) el.textContent = text;
  el.hidden = false;
  el.focus();
}
