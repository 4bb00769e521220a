// One thing in an original that could identify its source, and what became of it in the safe copy.

export type Category =
  | 'author' | 'company' | 'device-name' | 'software' | 'time' | 'location' | 'camera' | 'revisions'
  | 'comments' | 'hidden' | 'embedded' | 'links' | 'thumbnail' | 'active-content' | 'text-metadata'
  | 'tracking-dots' | 'identifiers';

/** removed: not in the safe copy. shown: drawn on its pages, so still visible there. */
export type Fate = 'removed' | 'shown';

export type Finding = { category: Category; item: string; detail: string; safeCopy: Fate };

export const CATEGORY_TITLE: Record<Category, string> = {
  author: 'Author and editor names',
  company: 'Company or organisation',
  'device-name': 'Printer, computer or user names',
  software: 'Software and versions',
  time: 'Creation, edit and print times',
  location: 'GPS location',
  camera: 'Camera or phone make, model and serial',
  revisions: 'Revision history and tracked changes',
  comments: 'Comments',
  hidden: 'Hidden text, sheets or slides',
  embedded: 'Embedded files and objects',
  links: 'External links and templates',
  thumbnail: 'Embedded thumbnails and previews',
  'active-content': 'Scripts, actions, forms and annotations',
  'text-metadata': 'Descriptive text stored in the file',
  'tracking-dots': 'Printer tracking dots (yellow dot grid)',
  identifiers: 'Unique document identifiers',
};

// What a terminal or a bidi-aware display acts on rather than shows: C0 and C1 controls (C1's
// \x9b is a CSI on terminals that take 8-bit controls), line and paragraph separators, and the
// direction marks, embeddings, overrides and isolates that can make a file name read backwards.
const UNSHOWABLE = /[\0-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** Values are shown to the journalist, never logged: shortened, one line, control characters removed. */
export function clip(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  const line = text.replace(UNSHOWABLE, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/** A collector that keeps at most `max` findings a category, counting the rest. */
export class Findings {
  readonly list: Finding[] = [];
  private counts = new Map<Category, number>();

  constructor(private readonly max = 50) {}

  add(category: Category, item: string, detail: unknown, safeCopy: Fate = 'removed'): void {
    const n = (this.counts.get(category) ?? 0) + 1;
    this.counts.set(category, n);
    if (n <= this.max) this.list.push({ category, item: clip(item), detail: clip(detail), safeCopy });
    else if (n === this.max + 1) this.list.push({ category, item: 'more', detail: `more than ${this.max} of these; the rest are not listed`, safeCopy });
  }
}
