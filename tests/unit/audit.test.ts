import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { AuditFileError, readExport } from '../../server/audit/export.ts';
import { AUDIT_ACTIONS, describeEntry, describeTime } from '../../server/audit/describe.ts';
import { translator } from '../../server/i18n/index.ts';
import { checkChain, entryHash, GENESIS, type ChainRow } from '../../server/store/index.ts';

// The hash chain on its own (server/store/audit.ts checkChain, also used for export files): what
// each hash commits to, and which entry a forgery, a removal or a reordering is pinned on.

/** A chain of `n` entries made the way the store makes them. */
function chain(n: number): ChainRow[] {
  const out: ChainRow[] = [];
  let previous = GENESIS;
  for (let seq = 1; seq <= n; seq++) {
    const base = { seq, at: `2026-12-0${1 + (seq % 8)}T10:00:0${seq % 10}Z`, actor: 'journalist:ana', action: 'login.ok', detail: { n: seq } };
    const hash = entryHash(previous, base);
    out.push({ ...base, detail: JSON.stringify(base.detail), hash });
    previous = hash;
  }
  return out;
}

describe('entryHash', () => {
  test('is SHA-256 of the previous hash, a line break and the entry\'s fields as a JSON array', () => {
    const e = { seq: 1, at: '2026-12-06T10:00:00Z', actor: 'cli', action: 'export', detail: {} };
    const expected = createHash('sha256').update(`${GENESIS}\n[1,"2026-12-06T10:00:00Z","cli","export",{}]`).digest('hex');
    expect(entryHash(GENESIS, e)).toBe(expected);
  });

  test('every field and the predecessor change it', () => {
    const e = { seq: 2, at: '2026-12-06T10:00:00Z', actor: 'journalist:ana', action: 'delete.bulk', detail: { conversations: 2 } };
    const h = entryHash(GENESIS, e);
    const variants = [
      entryHash('1'.repeat(64), e),
      entryHash(GENESIS, { ...e, seq: 3 }),
      entryHash(GENESIS, { ...e, at: '2026-12-06T10:00:01Z' }),
      entryHash(GENESIS, { ...e, actor: 'journalist:bo' }),
      entryHash(GENESIS, { ...e, action: 'delete.item' }),
      entryHash(GENESIS, { ...e, detail: { conversations: 3 } }),
    ];
    expect(new Set([h, ...variants]).size).toBe(variants.length + 1);
  });
});

describe('checkChain', () => {
  test('an intact chain: no break, its count and head', () => {
    const rows = chain(5);
    expect(checkChain(rows)).toEqual({ broken: null, count: 5, head: { seq: 5, hash: rows[4]!.hash } });
    expect(checkChain([])).toEqual({ broken: null, count: 0, head: { seq: 0, hash: GENESIS } });
  });

  test('a forged hash, or content edited under its old hash, is named by its seq', () => {
    const forged = chain(5);
    forged[2] = { ...forged[2]!, hash: 'f'.repeat(64) };
    expect(checkChain(forged).broken).toEqual({ seq: 3, why: 'its hash does not follow from its content and the entry before it' });
    const edited = chain(5);
    edited[3] = { ...edited[3]!, detail: '{"n":40}' };
    expect(checkChain(edited).broken?.seq).toBe(4);
    expect(checkChain(edited).count).toBe(3);
    const notJson = chain(3);
    notJson[1] = { ...notJson[1]!, detail: '{' };
    expect(checkChain(notJson).broken).toEqual({ seq: 2, why: 'its detail is not JSON' });
  });

  test('an entry re-hashed after an edit breaks the next one, whose hash committed to the old one', () => {
    const rows = chain(5);
    const detail = { n: 99 };
    rows[1] = { ...rows[1]!, detail: JSON.stringify(detail), hash: entryHash(rows[0]!.hash, { ...rows[1]!, detail }) };
    expect(checkChain(rows).broken?.seq).toBe(3);
  });

  test('a walk in slices, each starting where the last ended, finds what one walk finds', () => {
    const rows = chain(9);
    const first = checkChain(rows.slice(0, 4));
    expect(checkChain(rows.slice(4), first)).toEqual(checkChain(rows));
    const forged = chain(9);
    forged[6] = { ...forged[6]!, hash: 'e'.repeat(64) };
    expect(checkChain(forged.slice(4), checkChain(forged.slice(0, 4))).broken?.seq).toBe(7);
    // A slice that does not start right after the last one's end is a gap.
    expect(checkChain(rows.slice(5), first).broken?.seq).toBe(5);
  });

  test('a removed entry is named as missing', () => {
    const rows = chain(5);
    expect(checkChain([...rows.slice(0, 2), ...rows.slice(3)]).broken).toEqual({ seq: 3, why: 'it is missing (entry 4 follows entry 2)' });
    expect(checkChain(rows.slice(1)).broken?.seq).toBe(1);
  });

  test('reordered entries break at the first out of place, renumbered or not', () => {
    const rows = chain(5);
    expect(checkChain([rows[0]!, rows[2]!, rows[1]!, rows[3]!, rows[4]!]).broken?.seq).toBe(2);
    const swapped = [rows[0]!, { ...rows[2]!, seq: 2 }, { ...rows[1]!, seq: 3 }, rows[3]!, rows[4]!];
    expect(checkChain(swapped).broken?.seq).toBe(2);
    expect(checkChain([rows[0]!, rows[1]!, rows[1]!]).broken).toEqual({ seq: 2, why: 'entry 2 appears again after entry 2' });
  });
});

describe('readExport', () => {
  const line = (r: ChainRow) => JSON.stringify({ ...r, detail: JSON.parse(r.detail) as unknown });
  test('entries and the head line', () => {
    const rows = chain(3);
    const text = `${rows.map(line).join('\n')}\n${JSON.stringify({ head: { seq: 3, hash: rows[2]!.hash }, entries: 3 })}\n`;
    expect(readExport(text)).toEqual({ rows, head: { seq: 3, hash: rows[2]!.hash } });
  });
  test('refuses a file without its head line, a line that is not JSON, or an entry missing a field', () => {
    const rows = chain(2);
    expect(() => readExport(`${rows.map(line).join('\n')}\n`)).toThrow(AuditFileError);
    expect(() => readExport(`${line(rows[0]!)}\nnot json\n{"head":{"seq":2,"hash":"x"}}\n`)).toThrow('line 2 is not JSON');
    expect(() => readExport(`{"seq":1}\n{"head":{"seq":1,"hash":"x"}}\n`)).toThrow('line 1 is not an audit entry');
    expect(() => readExport(`{"seq":"1","at":"x","actor":"cli","action":"export","detail":{},"hash":"h"}\n{"head":{"seq":1,"hash":"h"}}\n`)).toThrow('line 1 is not an audit entry');
  });
});

describe('an entry in words', () => {
  test('staff actions to the second, source-caused ones to the day; actors and actions from the catalog', () => {
    expect(describeTime('2026-12-06T13:52:53Z').shown).toBe('2026-12-06 13:52:53 UTC');
    expect(describeTime('2026-12-06').shown).toBe('2026-12-06');
    const t = translator('en');
    const e = { seq: 7, at: '2026-12-06T13:52:53Z', actor: 'anonymous', action: 'login.failed', detail: { username: 'ana' } };
    expect(describeEntry(t, { ...e, hash: GENESIS })).toBe('#7 · 2026-12-06 13:52:53 UTC · not logged in · a login was refused · username tried: ana');
    expect(describeEntry(t, { ...e, actor: 'journalist:bo', action: 'delete.bulk', detail: { conversations: 2, added: ['A', 'B'], ok: true }, hash: GENESIS }))
      .toBe('#7 · 2026-12-06 13:52:53 UTC · bo · deleted conversations at once · conversations: 2 · keys added: A, B · ok: yes');
    // An action a newer version wrote is shown by its name, never hidden.
    expect(describeEntry(t, { ...e, action: 'future.thing', detail: {}, hash: GENESIS })).toContain('future.thing');
    expect(Object.keys(AUDIT_ACTIONS).every((a) => /^[a-z][a-z0-9_.-]*$/.test(a))).toBe(true);
  });
});
