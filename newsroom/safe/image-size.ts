import { declaredImageSize } from '../../common/image-size.ts';

// The size an image declares in its header, read before any decoder runs (common/image-size.ts,
// shared with the journalist page's Safe view). ImageMagick checks again in the sandbox; this gives
// the clear message, as its own refusal says nothing.

/** Width and height from the header, or null where this format's header is not read here. */
export function declaredSize(b: Uint8Array, format: string): [number, number] | null {
  return declaredImageSize(b, format);
}
