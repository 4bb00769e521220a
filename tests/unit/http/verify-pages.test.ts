import { expect, test } from 'vitest';
import { pageProblems } from '../../../server/cli/verify-pages.ts';

// The page-strings data block is the one script element without src a page may have: exactly
// type="application/json" id="i18n" (a type no browser runs), holding one JSON object.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'";
const page = (head: string) => `<!doctype html><html><head>${head}</head><body></body></html>`;
const check = (head: string) => pageProblems(page(head), CSP, 'http://drop.example/', new Set());

test.each([
  ['<script type="application/json" id="i18n">{"lang":"ug","messages":{}}</script>', []],
  ['<script type="module" id="i18n">{"lang":"ug"}</script>', ['has an inline script']],
  ['<script id="i18n">alert(1)</script>', ['has an inline script']],
  ['<script type="application/json" id="i18n" onload="x()">{}</script>', ['has an inline script', 'has an inline event handler (onload)']],
  ['<script type="application/json" id="i18n">alert(1)</script>', ['has a page-strings block that is not one JSON object']],
  ['<script type="application/json" id="i18n">{}</script><script type="application/json" id="i18n">{}</script>', ['has a page-strings block that is not one JSON object']],
  // A browser uses the first of a repeated attribute: the checker must not read the last one.
  ['<script type="module" src="/evil.js" src="/static/js/source.js"></script>', ['has a tag with a repeated attribute', 'loads the script /evil.js']],
  ['<script type="module" type="application/json" id="i18n">alert(1)</script>', ['has a tag with a repeated attribute', 'has an inline script']],
])('%s', (head, problems) => {
  expect(check(head)).toEqual(problems);
});
