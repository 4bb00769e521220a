import { readPrivateKey, type PrivateKey } from '../../common/envelope/index.ts';
import { t } from '../i18n.ts';

// The one holder of the unlocked key. It lives only in this module's memory: never in
// localStorage, sessionStorage, IndexedDB, a cookie or history state. Client navigation
// (shell.ts) keeps this module alive from page to page; a reload, closing the tab, leaving the
// page (pagehide), Lock, or the idle auto-lock forgets it.

export type KeyListener = (key: PrivateKey | null) => void;

let key: PrivateKey | null = null;
const listeners = new Set<KeyListener>();

export const currentKey = (): PrivateKey | null => key;

/** Called with the new key at each unlock and with null at each lock; returns a function that stops it. */
export function onKeyChange(listener: KeyListener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

function setKey(next: PrivateKey | null): void {
  key = next;
  for (const listener of listeners) {
    try {
      listener(next);
    } catch {
      // One module's failure to redraw must not stop another from hiding what it showed.
    }
  }
}

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T | null;

/** The key bar as it should stand: fields and Unlock while locked, Lock once unlocked. */
function showState(status: string): void {
  const unlocked = key !== null;
  const fields = document.querySelector<HTMLElement>('#key-panel .key-fields');
  if (fields) fields.hidden = unlocked;
  const load = byId<HTMLButtonElement>('load-key');
  if (load) load.hidden = unlocked;
  const lockButton = byId<HTMLButtonElement>('lock-key');
  if (lockButton) lockButton.hidden = !unlocked;
  const out = byId('key-status');
  if (out) out.textContent = status;
  document.documentElement.classList.toggle('key-unlocked', unlocked);
}

/** Forgets the key; every module hides what it decrypted (onKeyChange). */
export function lock(status: string = t('staff.script.locked')): void {
  if (key === null) return;
  setKey(null);
  showState(status);
}

async function unlockFromBar(): Promise<void> {
  const file = byId<HTMLInputElement>('key-file')?.files?.[0];
  const passphrase = byId<HTMLInputElement>('key-passphrase')!;
  if (!file) return showState(t('staff.script.chooseKey'));
  showState(t('staff.script.unlocking'));
  try {
    const unlocked = await readPrivateKey(await file.text(), passphrase.value || undefined);
    passphrase.value = '';
    setKey(unlocked);
    showState(t('staff.script.unlocked'));
    activity();
    byId('lock-key')?.focus();
  } catch (error) {
    showState((error as Error).message);
  }
}

// Idle auto-lock: after the journalist's own number of minutes (#workspace's data-lock-minutes,
// read afresh, so a change saved on the account page applies) without a key press or pointer use.
let lastActivity = 0;
let timer: ReturnType<typeof setTimeout> | undefined;

function lockMinutes(): number {
  const n = Number(document.getElementById('workspace')?.dataset.lockMinutes);
  return Number.isFinite(n) && n > 0 ? n : 15;
}

function check(): void {
  timer = undefined;
  if (!key) return;
  const minutes = lockMinutes();
  const left = lastActivity + minutes * 60_000 - Date.now();
  if (left <= 0) return lock(t('staff.script.lockedIdle', { minutes }));
  timer = setTimeout(check, left);
}

function activity(): void {
  lastActivity = Date.now();
  // One timer at most: it re-arms itself for what is left when it fires early.
  if (key && timer === undefined) timer = setTimeout(check, lockMinutes() * 60_000);
}

let wired = false;

/** The key bar lives outside #workspace, so it is wired once, whatever `root` a swap passes. */
export function wireKey(_root: ParentNode = document): void {
  if (wired || !byId('key-panel')) return;
  wired = true;
  byId('load-key')?.addEventListener('click', () => void unlockFromBar());
  byId('lock-key')?.addEventListener('click', () => {
    lock();
    byId('load-key')?.focus();
  });
  for (const type of ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart']) {
    document.addEventListener(type, activity, { capture: true, passive: true });
  }
  // Leaving the page forgets the key even if the browser keeps the page for Back (bfcache).
  window.addEventListener('pagehide', () => lock());
}
