import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { encryptTextArmored } from '../../common/envelope/armored-text.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';

// An encrypted notice must open with the gpg journalists have: GnuPG 2.2 misreads armour without
// its CRC line when the data's length is a multiple of three (no '=' on the last line).
let home: GpgHome;
let dir: string;
beforeAll(async () => {
  [home, dir] = await Promise.all([makeGpgHome('ana'), mkdtemp(path.join(os.tmpdir(), 'sealdrop-armour-'))]);
});
afterAll(async () => Promise.all([home?.cleanup(), rm(dir, { recursive: true, force: true })]));

test('armoured notices of every length class carry a CRC line and gpg decrypts each', async () => {
  const key = await readFile(home.publicKeyFile, 'utf8');
  const residues = new Set<number>();
  for (let n = 0; residues.size < 3 && n < 60; n++) {
    const text = `Notice ${'x'.repeat(n * 7)}`;
    const armour = await encryptTextArmored(text, key);
    const lines = armour.trim().split(/\r?\n/);
    const data = lines.slice(1, -1).filter((l) => l !== '' && !l.startsWith('='));
    residues.add(Buffer.from(data.join(''), 'base64').length % 3);
    expect(lines.at(-2), 'the CRC line').toMatch(/^=[A-Za-z0-9+/]{4}$/);
    const file = path.join(dir, `${n}.asc`);
    await writeFile(file, armour);
    expect((await home.decrypt(file)).toString('utf8')).toBe(text);
  }
  expect([...residues].sort()).toEqual([0, 1, 2]);
});
