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

// A page may link only to itself (the language switch) and the pages verify-client checks; forms post only where the source pages' forms do.
test.each([
  ['<a href="?lang=3">ug</a><a href="/guide">g</a><a href="/login">l</a><form action="/submit"></form><form action="/login"></form>', []],
  ['<a href="/extra">x</a>', ['links to /extra, which is not a page verify-client checks']],
  ['<a href="http://evil.example/">x</a>', ['links to http://evil.example/, which is not a page verify-client checks']],
  ['<form action="/api/config"></form>', ['links to /api/config, which is not a page verify-client checks']],
  ['<form action="/guide"></form>', ['links to /guide, which is not a page verify-client checks']],
])('links: %s', (head, problems) => {
  expect(check(head)).toEqual(problems);
});
