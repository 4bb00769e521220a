// The page's entry point is deliberately tiny and imports no crypto: it must be able to fail
// closed even where the crypto code cannot load or run.

function canEncryptHere(): boolean {
  return window.isSecureContext === true && typeof globalThis.crypto?.subtle?.digest === 'function' && typeof globalThis.crypto.getRandomValues === 'function';
}

function element<T extends HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** Never lets the plain form post from a page whose script is running but cannot encrypt. */
function failClosed(form: HTMLFormElement): void {
  form.addEventListener('submit', (e) => e.preventDefault());
  for (const id of ['send', 'codename-submit']) {
    const button = element<HTMLButtonElement>(id);
    if (button) button.disabled = true;
  }
  for (const id of ['path-js', 'path-loading', 'login-js']) {
    const note = element(id);
    if (note) note.hidden = true;
  }
  const note = element('path-unsupported');
  if (note) note.hidden = false;
}

function boot(): void {
  const login = element<HTMLFormElement>('codename-form');
  if (login) return bootLogin(login);
  const form = element<HTMLFormElement>('drop');
  if (!form) return; // the "not open yet" page has no form
  // Until the encrypting code is ready, a press on Send must not post the plain form.
  const hold = (e: Event) => e.preventDefault();
  form.addEventListener('submit', hold);
  const send = element<HTMLButtonElement>('send');
  if (send) send.disabled = true;
  if (!canEncryptHere()) return failClosed(form);
  import('./app.ts')
    .then((app) => app.start(form))
    .then(() => form.removeEventListener('submit', hold))
    .catch(() => failClosed(form));
}

/** The codename login page: with the script running, the codename is used on this device only. */
function bootLogin(login: HTMLFormElement): void {
  const hold = (e: Event) => e.preventDefault();
  login.addEventListener('submit', hold);
  if (!canEncryptHere()) return failClosed(login);
  import('./conversation.ts')
    .then((conversation) => conversation.startConversation(login))
    .then(() => login.removeEventListener('submit', hold))
    .catch(() => failClosed(login));
}

boot();
