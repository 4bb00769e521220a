import { CATEGORY_TITLE, type Category, type Finding } from './findings.ts';

// NAME.report.txt (and NAME.report.json): what the original carries that could identify its
// source, and what the safe copy (and the clean copy) did about each.

export type Report = {
  original: string;
  type: string;
  safeCopy: { file: string; pages?: number; note: string } | null;
  ocr: string | null;
  clean: { file: string | null; note: string } | null;
  findings: Finding[];
  stillPresent: string[];
};

/** What no safe copy removes: said in every report, as the journalist must still check it. */
export const ALWAYS_PRESENT = [
  'Everything visible on the pages: the words, names, signatures, letterheads, stamps, photos, handwriting and page layout.',
  'Anything printed on a page or drawn into an image: printer tracking dots, watermarks, scanner marks and visible tracked changes.',
  'What the content itself reveals: who could have known it, who received this version, its wording and its errors.',
];

export const CLEAN_LIMITS =
  'mat2 removes the metadata it knows of in this format; it does not remove the content: visible and hidden text in the body, tracked changes it cannot see, comments in some formats, embedded objects, tracking dots or anything drawn on a page. Prefer the safe copy.';

function lines(report: Report): string[] {
  const out = [`Sealdrop safe-copy report for ${report.original}`, `Type (from its bytes): ${report.type}`];
  if (report.safeCopy) out.push(`Safe copy: ${report.safeCopy.file}${report.safeCopy.pages ? ` (${report.safeCopy.pages} page(s))` : ''}: ${report.safeCopy.note}`);
  if (report.ocr) out.push(`OCR text: ${report.ocr} (tesseract, read from the safe copy's pixels, not from the original)`);
  if (report.clean) out.push(`Clean copy: ${report.clean.file ?? 'not made'}: ${report.clean.note}`);
  out.push('', report.findings.length ? `What the original carries (${report.findings.length} item(s)):` : 'The original carries none of the identifying items this check looks for (that is not proof there are none).');
  const byCategory = new Map<Category, Finding[]>();
  for (const f of report.findings) byCategory.set(f.category, [...(byCategory.get(f.category) ?? []), f]);
  for (const [category, found] of byCategory) {
    out.push('', `${CATEGORY_TITLE[category]}:`);
    for (const f of found) out.push(`  - ${f.item}: ${f.detail}  [${f.safeCopy === 'removed' ? 'not in the safe copy' : 'STILL VISIBLE in the safe copy'}]`);
  }
  out.push('', 'Still present in the safe copy, whatever this report lists:', ...report.stillPresent.map((s) => `  - ${s}`));
  return out;
}

export const reportText = (report: Report): string => `${lines(report).join('\n')}\n`;
export const reportJson = (report: Report): string => `${JSON.stringify(report, null, 2)}\n`;
