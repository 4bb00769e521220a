// Pages are rendered on the server as plain strings: no inline script or style, everything escaped.
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export type LayoutOptions = { title: string; body: string; script?: string; head?: string };

export function layout({ title, body, script, head }: LayoutOptions): string {
  const scriptTag = script ? `\n<script type="module" src="${escapeHtml(script)}"></script>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(title)} · Sealdrop</title>
<link rel="stylesheet" href="/static/style.css">${head ? `\n${head}` : ''}${scriptTag}
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}
