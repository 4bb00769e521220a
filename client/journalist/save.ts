// Where a decrypted file goes, without the tab's memory following its size: straight into a file
// the journalist picks (File System Access, Chromium), or else in pieces the journalist saves one
// by one (Firefox and Tor Browser have no such API, and keep a Blob made in the page in memory).
import { writeWithName } from './file-name.ts';
import { revokeFile, saveFile } from './keygen.ts';
import { t } from '../i18n.ts';

/** Above this a browser without File System Access gets the file in pieces of this size. */
export const PIECE_BYTES = 256 * 1024 * 1024;

/** Receives verified plaintext in order; `done` after the whole file verified, `fail` otherwise. */
export type Sink = { write(plaintext: Uint8Array): Promise<void>; done(): Promise<Blob | null>; fail(): Promise<void> };

type Writable = { write(data: Uint8Array): Promise<void>; close(): Promise<void>; abort(): Promise<void> };
type Picker = (o: { suggestedName: string }) => Promise<{ createWritable(): Promise<Writable> }>;

/**
 * Asks where to save, or null where the browser cannot write a file as it goes (or the journalist
 * cancelled). Chromium writes to a temporary file and only puts it in place at `close`, so a
 * failure (`abort`) leaves nothing unverified behind.
 */
export async function fileSink(name: string): Promise<Sink | null> {
  const picker = (window as unknown as { showSaveFilePicker?: Picker }).showSaveFilePicker;
  if (typeof picker !== 'function') return null;
  let writable: Writable;
  try {
    writable = await (await picker.call(window, { suggestedName: name })).createWritable();
  } catch {
    return null;
  }
  return { write: (b) => writable.write(b), done: async () => (await writable.close(), null), fail: () => writable.abort().catch(() => undefined) };
}

/** The whole file as one Blob: for files up to one piece. */
export function blobSink(): Sink {
  let parts: Blob[] = [];
  return { write: async (b) => void parts.push(new Blob([b as BlobPart])), done: async () => new Blob(parts), fail: async () => void (parts = []) };
}

/**
 * Pieces of PIECE_BYTES: each full piece is offered for saving and the decryption waits until the
 * journalist asks for the next, so that only one piece is ever held. Every part in a piece has
 * been checked against the manifest; the last piece comes only once the whole file has.
 */
export function pieceSink(name: string, size: number, out: HTMLElement): Sink {
  const count = Math.ceil(size / PIECE_BYTES);
  let piece: Blob[] = [];
  let held = 0;
  let index = 1;
  let url: HTMLAnchorElement | null = null;
  const note = document.createElement('p');
  writeWithName(note, 'staff.script.pieces', name, { mb: Math.round(size / 1e6), count });
  out.append(note);
  const offer = (last: boolean) => {
    if (url) revokeFile(url.href);
    url = saveFile(`${name}.${String(index).padStart(3, '0')}`, new Blob(piece));
    url.className = 'piece';
    piece = [];
    held = 0;
    out.append(url, document.createTextNode(' '));
    if (last) return Promise.resolve();
    const next = document.createElement('button');
    next.type = 'button';
    next.className = 'next-piece';
    next.textContent = t('staff.script.nextPiece', { n: ++index, count });
    out.append(next);
    return new Promise<void>((resolve) => (next.onclick = () => (next.remove(), resolve())));
  };
  return {
    async write(b) {
      for (let at = 0; at < b.length; ) {
        const take = Math.min(b.length - at, PIECE_BYTES - held);
        piece.push(new Blob([b.subarray(at, at + take) as BlobPart]));
        held += take;
        at += take;
        if (held === PIECE_BYTES && index < count) await offer(false);
      }
    },
    done: async () => (await offer(true), null),
    fail: async () => {
      piece = [];
      if (url) revokeFile(url.href);
    },
  };
}
