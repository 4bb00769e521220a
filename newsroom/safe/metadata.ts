import type { Category, Findings } from './findings.ts';
import { LIMITS } from './limits.ts';
import { runSandboxed } from './sandbox.ts';

// exiftool (in the sandbox) lists what a file's metadata says; each tag that can point at a
// person, a device, a place or a time becomes a finding. For a PDF, qpdf (in the sandbox) lists
// its objects, and the report names every script, action, attachment, link, form and annotation.

const RULES: [RegExp, Category][] = [
  [/^GPS/, 'location'],
  [/^(Make|Model|SerialNumber|InternalSerialNumber|BodySerialNumber|LensSerialNumber|CameraSerialNumber|LensMake|LensModel|UniqueCameraModel|CameraOwnerName|OwnerName|DeviceManufacturer|DeviceModel|HostComputer)$/, 'camera'],
  [/^(Author|Creator|Artist|By-line|Writer-Editor|LastModifiedBy|Credit|XPAuthor|Copyright|Rights|Contributor)$/, 'author'],
  [/^(Company|Manager|Organization|Publisher)$/, 'company'],
  [/(Printer|Computer|UserName|MachineName)/, 'device-name'],
  [/^(Software|Producer|CreatorTool|Application|AppVersion|Generator|ProcessingSoftware|HistorySoftwareAgent|EncodingProcess)$/, 'software'],
  [/^(ThumbnailImage|PreviewImage|JpgFromRaw|OtherImage|ThumbnailTIFF|PhotoshopThumbnail)$/, 'thumbnail'],
  [/^History/, 'revisions'],
  [/(DocumentID|InstanceID|ImageUniqueID|OriginalDocumentID)$/, 'identifiers'],
  [/(Date|Time)/, 'time'],
  [/^(Comment|UserComment|ImageDescription|Description|Title|Subject|Keywords|XPComment|XPKeywords|XPSubject|XPTitle|Caption-Abstract|Headline|Label|Instructions)$/, 'text-metadata'],
];

/** Technical tags that say nothing about a person; every other tag in a text chunk group is listed. */
const TECHNICAL = /^(ImageWidth|ImageHeight|BitDepth|ColorType|Compression|Filter|Interlace|Gamma|SRGBRendering|PixelsPerUnit[XY]|PixelUnits|WhitePoint[XY]|(Red|Green|Blue)[XY]|Background\w*|Transparent\w*|SignificantBits|PNGWarning|Warning)$/;
const SKIP_GROUPS = /^(SourceFile|System|File|ExifTool|Composite)$/;
const TEXT_GROUPS = /^(PNG|PNG-\w+|XMP-\w+|IPTC|Photoshop|GIF|RIFF|PDF|QuickTime|ICC-header)$/;

export async function exifFindings(f: Findings, file: string): Promise<void> {
  const result = await runSandboxed({ argv: ['exiftool', '-j', '-a', '-G1', '-s', '-api', 'LargeFileSupport=1', '/in/file'], input: { path: file, name: 'file' }, stdoutMax: LIMITS.reportBytes });
  let tags: Record<string, unknown> = {};
  try {
    tags = (JSON.parse(result.stdout.toString('utf8')) as Record<string, unknown>[])[0] ?? {};
  } catch {
    return f.add('text-metadata', 'exiftool', 'could not read this file\'s metadata: check it by hand');
  }
  for (const [key, value] of Object.entries(tags)) {
    const [group = '', name = key] = key.includes(':') ? key.split(':', 2) : ['', key];
    if (SKIP_GROUPS.test(group) || SKIP_GROUPS.test(key)) continue;
    const rule = RULES.find(([re]) => re.test(name));
    if (rule) f.add(rule[1], `${group} ${name}`, value);
    else if (TEXT_GROUPS.test(group) && !TECHNICAL.test(name) && /^(PNG|XMP-dc|IPTC)/.test(group)) f.add('text-metadata', `${group} ${name}`, value);
  }
}

const ACTIVE: [string, string][] = [
  ['/JS', 'JavaScript'], ['/JavaScript', 'JavaScript'], ['/OpenAction', 'an action run on opening'], ['/AA', 'automatic actions'],
  ['/Launch', 'a Launch action (runs a program)'], ['/EmbeddedFile', 'an embedded file'], ['/EmbeddedFiles', 'embedded files'], ['/URI', 'a link to a web address'],
  ['/GoToR', 'a link to another file'], ['/SubmitForm', 'a form that sends data'], ['/AcroForm', 'a form'], ['/XFA', 'an XFA form'],
  ['/Annots', 'annotations'], ['/RichMedia', 'rich media'], ['/ImportData', 'an import action'],
];

/** Active content and links in a PDF, from qpdf's JSON listing of its objects. */
export async function pdfFindings(f: Findings, pdf: string): Promise<void> {
  const result = await runSandboxed({ argv: ['qpdf', '--json=2', '--json-key=qpdf', '/in/doc.pdf'], input: { path: pdf, name: 'doc.pdf' }, stdoutMax: LIMITS.reportBytes });
  const json = result.stdout.toString('utf8');
  if (!json.startsWith('{')) return f.add('active-content', 'qpdf', 'could not list this PDF\'s objects: treat the original as hostile');
  for (const [key, what] of ACTIVE) {
    // A name is a key (/OpenAction: ...) or a value (/S /Launch): qpdf writes both as "/Name".
    const count = json.split(`"${key}"`).length - 1;
    if (count) f.add(key === '/URI' || key === '/GoToR' ? 'links' : key.startsWith('/Embedded') ? 'embedded' : 'active-content', key, `${what} (${count})`);
  }
  for (const m of json.matchAll(/"\/URI": "[ub]:([^"]{1,500})"/g)) f.add('links', 'link target', m[1]);
  for (const m of json.matchAll(/"\/F": "[ub]:([^"]{1,200})"/g)) f.add('embedded', 'file name', m[1]);
}
