import { sourceLayout, type PageBranding } from './source-frame.ts';
import { LINKS } from './source.ts';
import type { Translator } from '../i18n/index.ts';

// Served by the drop itself, in the reader's language: a source must not need another site (which
// may be blocked, or watched) to learn how to reach this one safely.
const section = (t: Translator, id: string, heading: string, body: string) =>
  `<section aria-labelledby="${id}">\n<h2 id="${id}">${t.html(heading)}</h2>\n${body}\n</section>`;

const p = (t: Translator, key: string) => `<p>${t.html(key)}</p>`;
const li = (t: Translator, key: string) => `<li>${t.html(key)}</li>`;

export function renderGuide(t: Translator, branding?: PageBranding, leave?: string): string {
  const tor = [p(t, 'guide.tor.why'), p(t, 'guide.tor.get'), p(t, 'guide.tor.blocked'),
    `<ul>${['guide.tor.assist', 'guide.tor.snowflake', 'guide.tor.meek', 'guide.tor.obfs4'].map((k) => li(t, k)).join('')}</ul>`, p(t, 'guide.tor.careful'), p(t, 'guide.tor.after')].join('\n');
  const metadata = [p(t, 'guide.metadata.what'), `<ul>${li(t, 'guide.metadata.mat2')}${li(t, 'guide.metadata.exiftool')}</ul>`, p(t, 'guide.metadata.limits')].join('\n');
  const body = `<h1>${t.html('guide.title')}</h1>
${p(t, 'guide.intro')}
${section(t, 'tor', 'guide.tor.heading', tor)}
${section(t, 'safest', 'guide.safest.heading', p(t, 'guide.safest.body'))}
${section(t, 'metadata', 'guide.metadata.heading', metadata)}
${section(t, 'devices', 'guide.devices.heading', p(t, 'guide.devices.body'))}
${section(t, 'codename', 'guide.codename.heading', p(t, 'guide.codename.body'))}
${section(t, 'protect', 'guide.protect.heading', `${p(t, 'guide.protect.can')}\n${p(t, 'guide.protect.cannot')}`)}
<p>${t.html('guide.back', {}, LINKS)}</p>`;
  return sourceLayout({ t, branding, leave, title: t.text('guide.title'), body });
}
