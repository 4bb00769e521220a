// What the Safe view draws of one file, in the journalist's browser: fewer pages and pixels than
// the CLI (newsroom/safe/limits.ts), as every page is held as a canvas in the tab's memory.
export const VIEW_LIMITS = {
  /** Pages drawn; a longer document shows "the first N of M pages". */
  maxPages: 50,
  /** Pixels per page or image: a page is drawn smaller to fit, an image larger than this is refused unopened. */
  maxPixels: 16_000_000,
  /** Drawing scale of a PDF page: 1.5 x 72 = 108 pixels per inch (an A4 page is 893 x 1,263). */
  pdfScale: 1.5,
  /** JPEG quality of each page in the safe PDF. */
  jpegQuality: 0.9,
  /** Largest file the page hands to the Safe view (64 MB); larger ones are for sealdrop safe-copy. */
  fileBytes: 64_000_000,
} as const;
