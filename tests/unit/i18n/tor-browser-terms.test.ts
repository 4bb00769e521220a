import { describe, expect, test } from 'vitest';
import { LANGUAGES } from '../../../common/i18n/languages.ts';
import { QUOTES, TOR_BROWSER_TERMS, type TorBrowserTerm } from '../../../common/i18n/tor-browser-terms.ts';
import { readCatalog } from '../../../server/i18n/catalogs.ts';

// A source looks in Tor Browser for the very words the guide and the start page give. Those words
// live in one table (common/i18n/tor-browser-terms.ts); each message that names a Tor Browser
// control quotes it from there inside <bdi>, in every language, so the guide, the start page and
// the table cannot drift apart.

/** Every message that names a Tor Browser control, and the controls it names. */
const MENTIONS: Record<string, readonly TorBrowserTerm[]> = {
  'source.path.loading': ['securityLevel', 'safest'],
  'source.path.unsupported': ['securityLevel', 'safest'],
  'source.guideLink': ['safest'],
  'guide.tor.blocked': ['settings', 'connection', 'bridges', 'builtInBridge'],
  'guide.tor.assist': ['connectionAssist'],
  'guide.tor.obfs4': ['requestBridges'],
  'guide.tor.after': ['newIdentity'],
  'guide.safest.heading': ['safest'],
  'guide.safest.body': ['settingsButton', 'securityLevel', 'standard', 'safer', 'safest'],
};
// Words no ordinary sentence uses, so a message that holds one names the control (unlike "Settings").
const DISTINCT: readonly TorBrowserTerm[] = ['securityLevel', 'safer', 'safest', 'settingsButton', 'builtInBridge', 'requestBridges', 'connectionAssist', 'newIdentity'];
// What a source reads: the start page, the guide and every message on the way to sending and back.
const SOURCE_SIDE = /^(source|guide|form|sent|codename|nojs|login|replies|client|error|store)\./;

const quoted = (message: string) => [...message.matchAll(/<bdi>(.*?)<\/bdi>/g)].map((m) => m[1]!);

test('every shipped language says whose Tor Browser words it quotes', () => {
  expect(LANGUAGES.map((l) => l.tag).filter((tag) => !QUOTES[tag])).toEqual([]);
});

describe.each(LANGUAGES.map((l) => l.tag))('%s', (tag) => {
  const catalog = readCatalog(tag);
  const { ui, safestAlso = [] } = QUOTES[tag]!;
  const words = TOR_BROWSER_TERMS[ui];

  test.each(Object.entries(MENTIONS))('%s quotes exactly the table\'s words', (key, terms) => {
    const message = catalog[key]!;
    const wanted = terms.map((term) => words[term]);
    if (key === 'guide.safest.body') wanted.push(...safestAlso.map((other) => TOR_BROWSER_TERMS[other].safest));
    expect(wanted.filter((word) => !quoted(message).includes(word)), `not quoted in <bdi> in ${tag} ${key}`).toEqual([]);
    const allowed = new Set([...Object.values(words), ...safestAlso.map((other) => TOR_BROWSER_TERMS[other].safest)]);
    expect(quoted(message).filter((word) => !allowed.has(word)), `quoted in ${tag} ${key} but not Tor Browser's word`).toEqual([]);
  });

  test('no other message a source reads names a Tor Browser control outside the table', () => {
    const unlisted = Object.keys(catalog).filter((key) => SOURCE_SIDE.test(key) && !(key in MENTIONS));
    const naming = unlisted.filter((key) => DISTINCT.some((term) => catalog[key]!.includes(words[term])));
    expect(naming, 'list them in MENTIONS, quoting the table').toEqual([]);
  });
});
