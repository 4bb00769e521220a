import { escapeHtml, layout } from './layout.ts';

export function renderMessagePage({ title, message }: { title: string; message: string }): string {
  return layout({
    title,
    body: `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n<p><a href="/">Back to the start page</a></p>`,
  });
}
