import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { LIMITS } from '../../newsroom/safe/limits.ts';

// The limits a journalist reads about are the limits the code applies.
const flat = (file: string) => readFileSync(file, 'utf8').replace(/\s+/g, ' ');
const docs = flat('docs/safe-copies.md');
const readme = flat('README.md');
const n = (x: number) => x.toLocaleString('en');

describe('safe-copy figures in the docs', () => {
  test.each([
    ['pages', `at most ${n(LIMITS.maxPages)} per document`, `At most ${n(LIMITS.maxPages)} pages`],
    ['pixels', `at most ${LIMITS.maxPixels / 1e6} megapixels per page or image`, `${LIMITS.maxPixels / 1e6} megapixels a page`],
    ['resolution', `pixels (${LIMITS.dpi} DPI)`, `at ${LIMITS.dpi} DPI`],
    ['time and memory', `${LIMITS.timeoutMs / 1000} s of wall time per tool run (then the whole tree is killed), ${LIMITS.memoryBytes / 1e9} GB of address space`, `${LIMITS.timeoutMs / 1000} s and ${LIMITS.memoryBytes / 1e9} GB per tool run`],
    ['file size', `${LIMITS.fileBytes / 1e9} GB per file written`, null],
    ['batches', `Pages are drawn ${['', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'][LIMITS.batchPages]} at a time`, null],
  ])('%s', (_what, inDocs, inReadme) => {
    expect(docs).toContain(inDocs);
    if (inReadme) expect(readme).toContain(inReadme);
  });
});
