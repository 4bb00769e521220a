import { t } from '../i18n.ts';
import { drawImage, drawPdf, TooLargeError, type Drawn } from './draw.ts';
import { VIEW_LIMITS } from './limits.ts';
import { safePdf } from './safe-pdf.ts';

// The Safe view's frame (GET /safe-view, in an <iframe sandbox="allow-scripts"> of the journalist's
// conversation page). Its origin is opaque: no cookies, no storage, no access to the page that
// holds the key; its CSP allows this script and nothing else, and no connection at all. It talks
// only to its parent, by postMessage: "ready" when it can take a file, the file's bytes in (once),
// and the safe PDF's bytes out when the journalist asks for them.

type Kind = 'pdf' | 'image';
type Incoming = { type: 'show'; kind: Kind; bytes: ArrayBuffer };

const status = document.getElementById('status')!;
const pages = document.getElementById('pages')!;
const download = document.getElementById('download') as HTMLButtonElement;
let taken = false;

const tell = (message: object, transfer: Transferable[] = []) => window.parent.postMessage(message, '*', transfer);

function show({ canvases, total }: Drawn, kind: Kind): void {
  canvases.forEach((canvas, i) => {
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', t('staff.safe.page', { n: i + 1 }));
    pages.append(canvas);
  });
  const key = kind === 'image' ? 'staff.safe.image' : total > canvases.length ? 'staff.safe.firstPages' : 'staff.safe.pages';
  status.textContent = t(key, { shown: canvases.length, total });
  download.hidden = false;
  download.addEventListener('click', () => void offer(canvases, kind));
}

async function offer(canvases: HTMLCanvasElement[], kind: Kind): Promise<void> {
  download.disabled = true;
  status.textContent = t('staff.safe.making');
  try {
    const bytes = await safePdf(canvases, kind === 'pdf' ? VIEW_LIMITS.pdfScale * 72 : 96);
    tell({ type: 'pdf', bytes }, [bytes]);
    status.textContent = t('staff.safe.made');
  } catch (error) {
    status.textContent = t('staff.safe.failed', { reason: (error as Error).message });
  } finally {
    download.disabled = false;
  }
}

async function render({ kind, bytes }: Incoming): Promise<void> {
  status.textContent = t('staff.safe.drawing');
  try {
    show(kind === 'pdf' ? await drawPdf(new Uint8Array(bytes)) : await drawImage(new Uint8Array(bytes)), kind);
  } catch (error) {
    const tooLarge = error instanceof TooLargeError;
    status.textContent = tooLarge ? t('staff.safe.tooLarge', { size: error.message, max: VIEW_LIMITS.maxPixels / 1e6 }) : t('staff.safe.failed', { reason: (error as Error).message });
  }
}

window.addEventListener('message', (event: MessageEvent) => {
  // Only the page that framed this one, and one file per frame.
  if (event.source !== window.parent || taken) return;
  const data = event.data as Partial<Incoming> | null;
  if (data?.type !== 'show' || !(data.bytes instanceof ArrayBuffer) || (data.kind !== 'pdf' && data.kind !== 'image')) return;
  taken = true;
  void render(data as Incoming);
});

tell({ type: 'ready' });
