// The page script's words, in the page's language. The server sends them already parsed by
// FormatJS's ICU parser (in a JSON data block, <script type="application/json" id="i18n">); this
// walks those trees with the browser's own CLDR plural rules. It is the part of intl-messageformat
// the page needs, without its weight (the source page has a gzip budget); a unit test checks it
// gives intl-messageformat's output for every message the page has, in every shipped language.
import type { MessageFormatElement } from '@formatjs/icu-messageformat-parser';

// FormatJS's element types (its TYPE enum), as numbers: importing the enum would bring its module.
const TYPE = { literal: 0, number: 2, select: 5, plural: 6, pound: 7, tag: 8 } as const;

export type Strings = { lang: string; messages: Record<string, MessageFormatElement[]> };
type Values = Record<string, string | number>;

let strings: Strings | null = null;
let plurals: Intl.PluralRules | null = null;

/** The strings to use (the tests give them; a page reads its data block). */
export function useStrings(given: Strings): void {
  strings = given;
  plurals = null;
}

function load(): Strings {
  if (strings) return strings;
  const text = typeof document === 'undefined' ? null : document.getElementById('i18n')?.textContent;
  strings = text ? (JSON.parse(text) as Strings) : { lang: 'en', messages: {} };
  return strings;
}

const numberText = (n: number, lang: string) => new Intl.NumberFormat(lang).format(n);
// Own keys only: a value such as "__proto__" must fall to "other", not to an inherited property.
const option = <T>(options: Record<string, T>, key: string): T | undefined => (Object.hasOwn(options, key) ? options[key] : undefined);

function render(ast: MessageFormatElement[], values: Values, lang: string, pound?: number): string {
  let out = '';
  for (const el of ast) {
    if (el.type === TYPE.literal) out += el.value;
    else if (el.type === TYPE.pound) out += pound === undefined ? '#' : numberText(pound, lang);
    else if (el.type === TYPE.tag) out += render(el.children, values, lang, pound);
    else if (el.type === TYPE.plural) {
      const n = Number(values[el.value]) - el.offset;
      plurals ??= new Intl.PluralRules(lang);
      const chosen = option(el.options, `=${n + el.offset}`) ?? option(el.options, plurals.select(n)) ?? el.options.other!;
      out += render(chosen.value, values, lang, n);
    } else if (el.type === TYPE.select) out += render((option(el.options, String(values[el.value])) ?? el.options.other!).value, values, lang, pound);
    else if (el.type === TYPE.number) out += numberText(Number(values[el.value]), lang);
    else out += String(values[(el as { value: string }).value] ?? '');
  }
  return out;
}

/** A message by key (only keys under "client."); a missing one shows its key rather than nothing. */
export function t(key: string, values: Values = {}): string {
  const s = load();
  const ast = s.messages[key];
  return ast ? render(ast, values, s.lang) : key;
}
