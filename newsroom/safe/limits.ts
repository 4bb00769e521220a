// What one file may cost. A file past a limit is stopped there with a message naming the limit;
// the figures in docs/safe-copies.md and docs/benchmarks.md come from these.
export const LIMITS = {
  /** Pages rendered per document: pdfinfo's count is checked first, in the sandbox. */
  maxPages: 1000,
  /** Pixels per page or image (100 megapixels: a 200-page-inch poster at 150 DPI is refused, a 12,000 x 8,000 photo is not). */
  maxPixels: 100_000_000,
  /** Rendering resolution for PDF pages; OCR and the yellow-dot check read these pixels. */
  dpi: 150,
  /** Wall-clock time for one tool run in the sandbox (a LibreOffice conversion, a batch of pages). */
  timeoutMs: 120_000,
  /** Address space of each tool run (prlimit --as). */
  memoryBytes: 3_000_000_000,
  /** Largest file a tool may write (prlimit --fsize). */
  fileBytes: 2_000_000_000,
  /** Largest metadata listing read back from exiftool or qpdf. */
  reportBytes: 64_000_000,
  /** Pages rendered per sandbox run, so that pixels on disk stay bounded. */
  batchPages: 10,
} as const;
