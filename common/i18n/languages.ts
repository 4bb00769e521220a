// The languages Sealdrop ships, and how a request's language is chosen. Adding a language is one
// catalog file in ./catalogs and one line here; the catalog test finds every key it lacks.

export type Language = { tag: string; name: string; dir: 'ltr' | 'rtl' };

export const LANGUAGES: readonly Language[] = [
  { tag: 'en', name: 'English', dir: 'ltr' },
  { tag: 'zh-Hans', name: '简体中文', dir: 'ltr' },
  { tag: 'zh-Hant', name: '繁體中文', dir: 'ltr' },
  { tag: 'ug', name: 'ئۇيغۇرچە', dir: 'rtl' },
];

export const DEFAULT_LANGUAGE = 'en';

const TAGS = new Set(LANGUAGES.map((l) => l.tag));

export const isLanguage = (value: unknown): value is string => typeof value === 'string' && TAGS.has(value);

export const languageOf = (tag: string): Language => LANGUAGES.find((l) => l.tag === tag) ?? LANGUAGES[0]!;

// Chinese is written in two scripts: regions that use Traditional characters, and explicit scripts.
const TRADITIONAL = /^zh-(?:hant|tw|hk|mo)\b/;

/** One Accept-Language range ("zh-TW", "ug-CN", "en") to a shipped language, or null. */
export function matchRange(range: string): string | null {
  const r = range.trim().toLowerCase();
  if (r === 'zh' || r.startsWith('zh-')) return TRADITIONAL.test(r) ? 'zh-Hant' : 'zh-Hans';
  const primary = r.split('-')[0]!;
  return LANGUAGES.find((l) => l.tag.toLowerCase() === primary)?.tag ?? null;
}

/**
 * The best shipped language for an Accept-Language header (RFC 9110 §12.5.4: quality values,
 * then order). Bounded: a hostile header of any length costs at most 32 ranges of work.
 */
export function negotiate(header: string | undefined): string {
  if (!header) return DEFAULT_LANGUAGE;
  let best: { tag: string; q: number } | null = null;
  for (const item of header.slice(0, 1024).split(',').slice(0, 32)) {
    const [range = '', ...params] = item.split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0 || q > 1) continue;
    const tag = matchRange(range);
    if (tag && (!best || q > best.q)) best = { tag, q };
  }
  return best?.tag ?? DEFAULT_LANGUAGE;
}
