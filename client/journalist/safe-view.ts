import type { PrivateKey } from '../../common/envelope/index.ts';
import { safeFileName } from '../../common/filenames.ts';
import { imageFormat } from '../../common/image-size.ts';
import { VIEW_LIMITS } from '../safe-view/limits.ts';
import { t } from '../i18n.ts';
import { decryptedBlob } from './decrypt.ts';
import { writeWithName } from './file-name.ts';
import { currentKey, onKeyChange } from './key.ts';
import { revokeFile, saveFile } from './keygen.ts';

// "Safe view" on each item of a conversation (issue 24): a PDF or an image, decrypted here, is
// handed to a frame that draws it to pixels (client/safe-view/, GET /safe-view) and never to this
// page's own renderers. The frame is <iframe sandbox="allow-scripts"> without allow-same-origin:
// an opaque origin, with no cookies, no storage and no way into this page or its key. Its bytes go
// in by postMessage (transferred, so this page lets go of them) once it says it is ready; what
// comes back is believed only from that frame's window, and only a PDF's bytes within a size,
// offered as NAME.safe.pdf. Office documents and other files are left to `sealdrop safe-copy`.

type Kind = 'pdf' | 'image' | 'office' | 'other';

const wired = new WeakSet<Element>();

function kindOf(head: Uint8Array): Kind {
  const text = String.fromCharCode(...head.subarray(0, 8));
  if (text.startsWith('%PDF-')) return 'pdf';
  if (imageFormat(head)) return 'image';
  // ZIP (OOXML, ODF), OLE2 (DOC, XLS, PPT), RTF: office documents, for the CLI.
  if (text.startsWith('PK\x03\x04') || text.startsWith('\xd0\xcf\x11\xe0') || text.startsWith('{\\rtf')) return 'office';
  return 'other';
}

/** The frame, given the bytes once it is ready; the safe PDF it hands back is offered as a download. */
function frame(out: HTMLElement, name: string, kind: 'pdf' | 'image', bytes: ArrayBuffer): HTMLIFrameElement {
  const iframe = document.createElement('iframe');
  iframe.setAttribute('sandbox', 'allow-scripts');
  iframe.className = 'safe-view-frame';
  iframe.title = t('staff.script.safeViewFrame', { name: safeFileName(name) });
  iframe.src = '/safe-view';
  const offer = document.createElement('p');
  let link: HTMLAnchorElement | null = null;
  const listen = (event: MessageEvent) => {
    if (!iframe.isConnected) return window.removeEventListener('message', listen);
    if (event.source !== iframe.contentWindow) return;
    const data = event.data as { type?: string; bytes?: unknown } | null;
    if (data?.type === 'ready' && bytes.byteLength) iframe.contentWindow!.postMessage({ type: 'show', kind, bytes }, '*', [bytes]);
    if (data?.type !== 'pdf' || !(data.bytes instanceof ArrayBuffer) || data.bytes.byteLength > 4 * VIEW_LIMITS.fileBytes + 1e9) return;
    if (String.fromCharCode(...new Uint8Array(data.bytes, 0, 5)) !== '%PDF-') return;
    if (link) revokeFile(link.href);
    link = saveFile(`${safeFileName(name).replace(/\.[^.]{1,8}$/, '') || 'file'}.safe.pdf`, new Blob([data.bytes]));
    link.className = 'safe-pdf';
    offer.replaceChildren(link);
  };
  window.addEventListener('message', listen);
  out.append(iframe, offer);
  return iframe;
}

async function open(row: HTMLElement, out: HTMLElement, key: PrivateKey): Promise<void> {
  out.textContent = t('staff.script.decrypting');
  const got = await decryptedBlob(row.dataset.submission!, key, VIEW_LIMITS.fileBytes);
  if (got === null || !out.isConnected) return;
  if (got === 'too-large') return void (out.textContent = t('staff.script.safeViewTooLarge', { mb: VIEW_LIMITS.fileBytes / 1e6 }));
  const bytes = await got.blob.arrayBuffer();
  const kind = kindOf(new Uint8Array(bytes, 0, Math.min(32, bytes.byteLength)));
  if (kind === 'office' || kind === 'other') return void (out.textContent = t(kind === 'office' ? 'staff.script.safeViewOffice' : 'staff.script.safeViewOther'));
  const note = document.createElement('p');
  writeWithName(note, 'staff.script.safeViewOf', got.name);
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'safe-view-close';
  close.textContent = t('staff.script.safeViewClose');
  close.addEventListener('click', () => forgetView(out));
  out.replaceChildren(note, close);
  frame(out, got.name, kind, bytes);
}

function forgetView(out: HTMLElement): void {
  for (const a of out.querySelectorAll<HTMLAnchorElement>('a.safe-pdf')) revokeFile(a.href);
  out.replaceChildren();
}

function wireRow(row: HTMLElement): void {
  const actions = row.querySelector('.entry-actions');
  const opened = row.querySelector('.opened');
  if (!actions || !opened) return;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'safe-view';
  button.textContent = t('staff.script.safeView');
  button.disabled = !currentKey();
  const out = document.createElement('div');
  out.className = 'safe-view-out';
  out.setAttribute('role', 'status');
  actions.querySelector('button.open')?.after(' ', button);
  opened.after(out);
  button.addEventListener('click', () => {
    const key = currentKey();
    if (!key) return;
    open(row, out, key).catch((error: Error) => void (currentKey() === key && (out.textContent = t('staff.script.notDecryptedFile', { reason: error.message }))));
  });
}

/** Adds the Safe view button to every item of a conversation under root (each once). */
export function wireSafeView(root: ParentNode): void {
  for (const row of root.querySelectorAll<HTMLElement>('ol.thread li.submission')) if (!wired.has(row) && wired.add(row)) wireRow(row);
}

// Locking takes every Safe view off the page with the rest of what was decrypted.
onKeyChange((key) => {
  for (const b of document.querySelectorAll<HTMLButtonElement>('button.safe-view')) b.disabled = !key;
  if (!key) for (const out of document.querySelectorAll<HTMLElement>('.safe-view-out')) forgetView(out);
});
