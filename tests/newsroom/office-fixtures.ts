import { zipOf } from './fixtures.ts';

// Office documents that carry what identifies their author, written as XML here and zipped.

const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** A DOCX with an author, a company, a comment, tracked changes, hidden text and a remote template. */
export function plantedDocx(): Buffer {
  const paragraph = (inner: string) => `<w:p>${inner}</w:p>`;
  const run = (text: string, props = '') => `<w:r>${props}<w:t xml:space="preserve">${text}</w:t></w:r>`;
  const body = [
    paragraph(run('SEALDROP VISIBLE TEXT', '<w:rPr><w:sz w:val="72"/></w:rPr>')),
    paragraph(`<w:ins w:id="1" w:author="Planted Inserter" w:date="2024-01-02T03:04:05Z">${run('inserted words')}</w:ins><w:del w:id="2" w:author="Planted Deleter" w:date="2024-01-02T03:04:05Z"><w:r><w:delText>deleted words</w:delText></w:r></w:del>`),
    paragraph(`<w:commentRangeStart w:id="0"/>${run('commented')}<w:commentRangeEnd w:id="0"/><w:r><w:commentReference w:id="0"/></w:r>`),
    paragraph(run('planted hidden text', '<w:rPr><w:vanish/></w:rPr>')),
  ].join('');
  return zipOf([
    ['[Content_Types].xml', `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/comments.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`],
    ['_rels/.rels', `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="${REL}/extended-properties" Target="docProps/app.xml"/></Relationships>`],
    ['word/document.xml', `<?xml version="1.0"?><w:document ${W}><w:body>${body}</w:body></w:document>`],
    ['word/_rels/document.xml.rels', `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/comments" Target="comments.xml"/><Relationship Id="rId2" Type="${REL}/settings" Target="settings.xml"/></Relationships>`],
    ['word/comments.xml', `<?xml version="1.0"?><w:comments ${W}><w:comment w:id="0" w:author="Planted Commenter" w:date="2024-01-02T03:04:05Z" w:initials="PC"><w:p><w:r><w:t>planted comment text</w:t></w:r></w:p></w:comment></w:comments>`],
    ['word/settings.xml', `<?xml version="1.0"?><w:settings ${W}><w:attachedTemplate r:id="rId1"/><w:trackRevisions/></w:settings>`],
    ['word/_rels/settings.xml.rels', `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/attachedTemplate" Target="https://templates.example/planted-template.dotm" TargetMode="External"/></Relationships>`],
    ['docProps/core.xml', `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Planted Author</dc:creator><cp:lastModifiedBy>Planted Editor</cp:lastModifiedBy><cp:revision>7</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">2024-01-02T03:04:05Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-03T03:04:05Z</dcterms:modified></cp:coreProperties>`],
    ['docProps/app.xml', `<?xml version="1.0"?><Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Planted Word</Application><AppVersion>16.0000</AppVersion><Company>Planted Company Ltd</Company><Template>Normal.dotm</Template><TotalTime>42</TotalTime></Properties>`],
  ]);
}

const ODF_NS = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" xmlns:math="http://www.w3.org/1998/Math/MathML" office:version="1.3"';

/** An ODT with visible text, an author, a tracked deletion, a comment, a printer's name and an embedded object (a formula). */
export function plantedOdt(): Buffer {
  const object = '<draw:frame svg:width="4cm" svg:height="1cm"><draw:object xlink:href="./Object 1" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame>';
  return zipOf([
    ['mimetype', 'application/vnd.oasis.opendocument.text'],
    ['META-INF/manifest.xml', `<?xml version="1.0"?><manifest:manifest ${ODF_NS}><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="settings.xml" manifest:media-type="text/xml"/><manifest:file-entry manifest:full-path="Object 1/" manifest:media-type="application/vnd.oasis.opendocument.formula"/><manifest:file-entry manifest:full-path="Object 1/content.xml" manifest:media-type="text/xml"/></manifest:manifest>`],
    ['content.xml', `<?xml version="1.0"?><office:document-content ${ODF_NS}><office:body><office:text><text:tracked-changes><text:changed-region text:id="ct1"><text:deletion><office:change-info><dc:creator>Planted ODT Editor</dc:creator><dc:date>2024-01-02T03:04:05</dc:date></office:change-info><text:p>deleted words</text:p></text:deletion></text:changed-region></text:tracked-changes><text:p>SEALDROP ODT TEXT<text:change text:change-id="ct1"/><office:annotation><dc:creator>Planted ODT Commenter</dc:creator><text:p>planted note</text:p></office:annotation></text:p><text:p>${object}</text:p></office:text></office:body></office:document-content>`],
    ['meta.xml', `<?xml version="1.0"?><office:document-meta ${ODF_NS}><office:meta><meta:initial-creator>Planted Author</meta:initial-creator><dc:creator>Planted Editor</dc:creator><meta:generator>PlantedOffice/7.4</meta:generator><meta:creation-date>2024-01-02T03:04:05</meta:creation-date><meta:editing-cycles>5</meta:editing-cycles></office:meta></office:document-meta>`],
    ['settings.xml', `<?xml version="1.0"?><office:document-settings ${ODF_NS} xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"><office:settings><config:config-item-set config:name="ooo:configuration-settings"><config:config-item config:name="PrinterName" config:type="string">Planted-Printer-3rd-Floor</config:config-item></config:config-item-set></office:settings></office:document-settings>`],
    ['Object 1/content.xml', '<?xml version="1.0"?><math:math xmlns:math="http://www.w3.org/1998/Math/MathML"><math:semantics><math:mrow><math:mi>x</math:mi><math:mo>=</math:mo><math:mn>42</math:mn></math:mrow></math:semantics></math:math>'],
  ]);
}

/** A plain DOCX of `pages` pages of text, each ended by a page break (for the benchmark). */
export function pagedDocx(pages: number): Buffer {
  const line = 'The quick brown fox jumps over the lazy dog; every page carries a paragraph of ordinary text. ';
  const page = (n: number) => `<w:p><w:r><w:t>Page ${n}</w:t></w:r></w:p>${`<w:p><w:r><w:t>${line.repeat(4)}</w:t></w:r></w:p>`.repeat(6)}<w:p><w:r><w:br w:type="page"/></w:r></w:p>`;
  const body = Array.from({ length: pages }, (_, i) => page(i + 1)).join('');
  return zipOf([
    ['[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'],
    ['_rels/.rels', `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="word/document.xml"/></Relationships>`],
    ['word/document.xml', `<?xml version="1.0"?><w:document ${W}><w:body>${body}</w:body></w:document>`],
  ]);
}

const SHEET = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';
const cell = (text: string) => `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>${text}</t></is></c></row></sheetData>`;

/** An XLSX with a visible sheet and a hidden one. */
export function hiddenSheetXlsx(): Buffer {
  return zipOf([
    ['[Content_Types].xml', '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'],
    ['_rels/.rels', `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`],
    ['xl/workbook.xml', `<?xml version="1.0"?><workbook ${SHEET}><sheets><sheet name="Budget" sheetId="1" r:id="rId1"/><sheet name="Planted Hidden Sheet" sheetId="2" state="hidden" r:id="rId2"/></sheets></workbook>`],
    ['xl/_rels/workbook.xml.rels', `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/worksheet" Target="worksheets/sheet2.xml"/></Relationships>`],
    ['xl/worksheets/sheet1.xml', `<?xml version="1.0"?><worksheet ${SHEET}>${cell('SEALDROP SHEET')}</worksheet>`],
    ['xl/worksheets/sheet2.xml', `<?xml version="1.0"?><worksheet ${SHEET}>${cell('planted hidden cell')}</worksheet>`],
  ]);
}

/** An RTF document with an author in its info group. */
export function plantedRtf(): Buffer {
  return Buffer.from('{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Helvetica;}}{\\info{\\author Planted RTF Author}{\\company Planted RTF Company}}\\f0\\fs72 SEALDROP RTF TEXT\\par}\n', 'latin1');
}
