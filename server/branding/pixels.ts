/** Not a PNG or JPEG this server will show, or one it cannot read whole: the message says why, in English. */
export class ImageError extends Error {
  override name = 'ImageError';
}

/** A decoded picture: 8-bit RGBA, row by row, and nothing else. */
export type Pixels = { width: number; height: number; rgba: Buffer };

/**
 * The most a logo may be on a side. The source page shows it at most 4rem high and 12rem wide, so
 * this is generous; it also bounds what decoding can cost: 1024 × 1024 RGBA is 4 MiB.
 */
export const MAX_SIDE = 1024;
