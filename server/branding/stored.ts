import type { Store } from '../store/index.ts';
import { ImageError } from './image.ts';
import { LogoBusyError, LogoTimeoutError, rebuildLogo } from './rebuild.ts';

// Before logos were rebuilt, uploads were copied chunk by chunk: a logo stored then may declare
// 40,000 × 40,000 pixels or hide bytes after its zlib stream, and an upgrade must not keep
// serving it. So when the listeners start, a stored logo is passed through the same rebuild once
// (in its worker, before the first source gets it): unchanged if it was made by the rebuild,
// replaced by its rebuilt pixels if not, and removed if the rebuild refuses it, as an upload would
// have been (the administrator sees no logo and can upload it again). Until that is done, and
// if the rebuild could not run at all, the logo is not served.

// jpeg-js writes this JFIF header first; the old copier dropped every APPn, so a stored JPEG that
// starts with it was rebuilt (re-encoding a JPEG is lossy: it must not happen at every start).
const REBUILT_JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb', 'hex');

const checks = new WeakMap<Store, Promise<boolean>>();

/** Whether the stored logo may be served (waits for the check at start-up, which runs once per store). */
export function logoServable(store: Store): Promise<boolean> {
  let check = checks.get(store);
  if (!check) {
    check = recheck(store);
    checks.set(store, check);
  }
  return check;
}

/** An upload (rebuilt) or a removal makes the stored logo servable as it is. */
export const logoChanged = (store: Store) => void checks.set(store, Promise.resolve(true));

async function recheck(store: Store): Promise<boolean> {
  const logo = store.settings.logo();
  if (!logo || (logo.type === 'image/jpeg' && logo.bytes.subarray(0, REBUILT_JPEG.length).equals(REBUILT_JPEG))) return true;
  const stillStored = () => store.settings.logo()?.bytes.equals(logo.bytes) === true;
  try {
    const rebuilt = await rebuildWhenFree(logo.bytes);
    // Lossless for a PNG: the rebuild of a rebuilt PNG is the same bytes, and nothing is written.
    if (!rebuilt.bytes.equals(logo.bytes) && stillStored()) store.settings.setLogo(rebuilt);
    return true;
  } catch (error) {
    if (error instanceof ImageError && !(error instanceof LogoTimeoutError) && stillStored()) {
      store.settings.setLogo(null);
      return true;
    }
    return false;
  }
}

/** Waits its turn rather than being refused: an upload may be rebuilding at that moment. */
async function rebuildWhenFree(bytes: Buffer, tries = 50): ReturnType<typeof rebuildLogo> {
  try {
    return await rebuildLogo(bytes);
  } catch (error) {
    if (!(error instanceof LogoBusyError) || tries <= 1) throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return rebuildWhenFree(bytes, tries - 1);
  }
}
