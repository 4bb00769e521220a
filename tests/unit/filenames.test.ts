import { describe, expect, test } from 'vitest';
import { safeFileName, uniqueName } from '../../common/filenames.ts';

describe('safeFileName', () => {
  test.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\windows\\system.ini', 'system.ini'],
    ['.bashrc', 'bashrc'],
    ['..', 'file'],
    ['', 'file'],
    ['a\u0000b\nc.txt', 'a_b_c.txt'],
    ['invoice\u202egpj.exe', 'invoice_gpj.exe'],
    ['CON', '_CON'],
    ['trailing. ', 'trailing'],
    ['Übersicht 2026.xlsx', 'Übersicht 2026.xlsx'],
  ])('%j becomes %j', (input, expected) => {
    expect(safeFileName(input)).toBe(expected);
  });

  test('long names are cut', () => {
    expect(safeFileName('x'.repeat(1000)).length).toBe(200);
  });
});

test('uniqueName numbers clashes before the extension', () => {
  const taken = new Set(['a.txt', 'a (2).txt']);
  expect(uniqueName('a.txt', (n) => taken.has(n))).toBe('a (3).txt');
  expect(uniqueName('b.txt', (n) => taken.has(n))).toBe('b.txt');
});
