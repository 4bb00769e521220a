import type { Findings } from './findings.ts';
import { openZip } from './zip.ts';

// What an office document's own parts say about who made it, read from the XML inside the ZIP
// (exiftool sees only part of it). Regular expressions over capped text, not a full XML parser:
// this is a report, and missing an unusual spelling means a finding is not listed, nothing more.
// No pattern scans ahead without a bound, so a hostile part cannot make a scan quadratic.

type Zip = ReturnType<typeof openZip>;

const all = (text: string | null, re: RegExp) => (text ? [...text.matchAll(re)] : []);
const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** Simple elements (prefix:name) with text content, from one part. */
function elements(f: Findings, zip: Zip, part: string, map: Record<string, Parameters<Findings['add']>[0]>): void {
  for (const m of all(zip.text(part), /<([\w-]+:)?([\w-]+)(?:\s[^>]*)?>([^<]{1,2000})<\/\1?\2>/g)) {
    const category = map[m[2]!];
    if (category) f.add(category, `${part}: ${m[2]}`, decode(m[3]!));
  }
}

function ooxml(f: Findings, zip: Zip): void {
  elements(f, zip, 'docProps/core.xml', { creator: 'author', lastModifiedBy: 'author', created: 'time', modified: 'time', lastPrinted: 'time', revision: 'revisions', title: 'text-metadata', subject: 'text-metadata', description: 'text-metadata', keywords: 'text-metadata' });
  elements(f, zip, 'docProps/app.xml', { Company: 'company', Manager: 'company', Application: 'software', AppVersion: 'software', Template: 'links', TotalTime: 'revisions' });
  for (const m of all(zip.text('docProps/custom.xml'), /name="([^"]{1,200})"/g)) f.add('text-metadata', 'custom property', decode(m[1]!));
  const main = ['word/document.xml', 'ppt/presentation.xml', 'xl/workbook.xml'].find((p) => zip.names.includes(p));
  const body = main ? zip.text(main) : null;
  for (const m of all(body, /<w:(ins|del)\b[^>]*w:author="([^"]*)"(?:[^>]*w:date="([^"]*)")?/g)) {
    f.add('revisions', `tracked ${m[1] === 'ins' ? 'insertion' : 'deletion'}`, `by ${decode(m[2]!)}${m[3] ? ` on ${m[3]}` : ''}`, 'shown');
  }
  const sessions = new Set(all(body, /w:rsid\w*="([0-9A-Fa-f]{8})"/g).map((m) => m[1]));
  if (sessions.size) f.add('identifiers', 'editing-session ids (rsid)', `${sessions.size} distinct: they can link documents edited on the same machine`);
  if (/<w:vanish\/>/.test(body ?? '')) f.add('hidden', 'hidden text (w:vanish)', 'text formatted as hidden');
  for (const part of zip.names.filter((n) => /comments\w*\.xml$/.test(n))) {
    for (const m of all(zip.text(part), /<w:comment\b[^>]*w:author="([^"]*)"/g)) f.add('comments', 'comment', `by ${decode(m[1]!)}`);
  }
  for (const m of all(zip.text('xl/workbook.xml'), /<sheet\b[^>]*name="([^"]*)"[^>]*state="(hidden|veryHidden)"/g)) f.add('hidden', `${m[2]} sheet`, decode(m[1]!));
  for (const m of all(zip.text('word/settings.xml'), /<w:attachedTemplate\b/g)) f.add('links', 'attached template', m[0]);
}

function odf(f: Findings, zip: Zip): void {
  elements(f, zip, 'meta.xml', { 'initial-creator': 'author', creator: 'author', generator: 'software', 'creation-date': 'time', date: 'time', 'print-date': 'time', 'printed-by': 'device-name', 'editing-cycles': 'revisions', 'editing-duration': 'revisions', title: 'text-metadata', subject: 'text-metadata', description: 'text-metadata', keyword: 'text-metadata' });
  for (const m of all(zip.text('meta.xml'), /<meta:user-defined meta:name="([^"]{1,200})"/g)) f.add('text-metadata', 'custom property', decode(m[1]!));
  for (const m of all(zip.text('settings.xml'), /config:name="(PrinterName|PrinterSetup)"[^>]*>([^<]{1,200})</g)) f.add('device-name', m[1]!, m[1] === 'PrinterName' ? decode(m[2]!) : 'printer driver settings');
  const content = zip.text('content.xml');
  for (const m of all(content, /<office:change-info\b[^>]*>\s*<dc:creator>([^<]*)<\/dc:creator>(?:\s*<dc:date>([^<]*)<\/dc:date>)?/g)) f.add('revisions', 'tracked change', `by ${decode(m[1]!)}${m[2] ? ` on ${m[2]}` : ''}`, 'shown');
  for (const m of all(content, /<office:annotation\b[^>]*>\s*<dc:creator>([^<]*)</g)) f.add('comments', 'comment', `by ${decode(m[1]!)}`);
  for (const m of all(content, /<text:(hidden-text|hidden-paragraph)\b|text:display="none"|table:display="false"/g)) f.add('hidden', 'hidden text, section or sheet', m[0]);
}

/** Parts every ZIP-based office format can carry: embedded files and objects, thumbnails, external targets. */
function common(f: Findings, zip: Zip): void {
  const objects = new Set(zip.names.map((n) => /^(Object \d+)\//.exec(n)?.[1]).filter(Boolean));
  for (const name of objects) f.add('embedded', 'embedded object', `${name}/`);
  for (const name of zip.names) {
    if (/(^|\/)(embeddings\/|activeX\/)|oleObject|\.bin$/i.test(name)) f.add('embedded', 'embedded file or object', name);
    if (/^(docProps\/thumbnail|Thumbnails\/)/i.test(name)) f.add('thumbnail', 'document thumbnail', name);
  }
  for (const part of zip.names.filter((n) => n.endsWith('.rels'))) {
    for (const m of all(zip.text(part), /<Relationship\b[^>]*>/g).filter((r) => /TargetMode="External"/.test(r[0]))) {
      const target = /Target="([^"]*)"/.exec(m[0])?.[1] ?? '';
      const type = /Type="[^"]*\/([^"/]+)"/.exec(m[0])?.[1] ?? 'link';
      f.add('links', type === 'attachedTemplate' ? 'remote template' : `external ${type}`, decode(target));
    }
  }
  for (const m of all(zip.text('content.xml'), /xlink:href="(https?:[^"]{1,500})"/g)) f.add('links', 'external link', decode(m[1]!));
}

export function officeFindings(f: Findings, file: Buffer): void {
  let zip: Zip;
  try {
    zip = openZip(file);
  } catch {
    return;
  }
  if (zip.names.includes('[Content_Types].xml')) ooxml(f, zip);
  else odf(f, zip);
  common(f, zip);
}
