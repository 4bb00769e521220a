import type { Translator } from '../../i18n/index.ts';
import { escapeHtml } from '../layout.ts';

// The Safe view's frame page (routes/journalist/safe-view.ts): a status line, the safe PDF button
// and the drawn pages. Its words (staff.safe.*) travel as a JSON data block for its script.

export function renderSafeView(t: Translator): string {
  return `<!doctype html>
<html lang="${t.tag}" dir="${t.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(t.text('staff.safe.title'))}</title>
<link rel="stylesheet" href="/safe-view/frame.css">
<script type="application/json" id="i18n">${t.clientJson('staff.safe.')}</script>
<script src="/safe-view/frame.js" defer></script>
</head>
<body>
<main>
<p id="status" role="status">${escapeHtml(t.text('staff.safe.waiting'))}</p>
<p><button type="button" id="download" hidden>${escapeHtml(t.text('staff.safe.download'))}</button></p>
<div id="pages"></div>
</main>
</body>
</html>
`;
}
