import { translator, type Translator, type Values } from './index.ts';

/** A message named by its catalog key, worded in each reader's language when it is shown. */
export type Said = { key: string; values?: Values };

export const said = (key: string, values?: Values): Said => (values ? { key, values } : { key });

const english = translator('en');

/** The English wording: for logs, tests and callers that have no reader. */
export const inEnglish = (s: Said): string => english.text(s.key, s.values);

export const say = (t: Translator, s: Said): string => t.text(s.key, s.values);
