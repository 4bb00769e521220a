import { randomBytes } from 'node:crypto';
import { expect, test } from 'vitest';
import { secretsIn } from '../helpers/sniffer.ts';

// The journalist e2e test searches what the browser sent for a private key's secret bytes with
// secretsIn: it must find them however a page could have carried them, and nothing else.
const secret = randomBytes(32);
const wrap = (s: string) => s.replace(/(.{64})/g, '$1\r\n');

test.each([0, 1, 2, 5])('a secret %i bytes into a longer blob is found, in every encoding a request may use', (offset) => {
  const blob = Buffer.concat([randomBytes(offset), secret, randomBytes(40)]);
  const b64 = blob.toString('base64');
  const carriers = [
    blob, // raw bytes, as an application/octet-stream body
    Buffer.from(`-----BEGIN PGP PRIVATE KEY BLOCK-----\r\n\r\n${wrap(b64)}\r\n`), // armour, lines wrapped
    Buffer.from(`key=${encodeURIComponent(wrap(b64))}`), // a form field
    Buffer.from(JSON.stringify({ key: wrap(b64).replace(/\r/g, '') })), // a JSON string, \n escaped
    Buffer.from(`GET /x?k=${blob.toString('base64url')} HTTP/1.1`), // a query string
    Buffer.from(JSON.stringify({ d: blob.toString('hex') })),
    Buffer.from(JSON.stringify([...blob])),
  ];
  for (const carrier of carriers) expect(secretsIn(Buffer.concat([randomBytes(100), carrier, randomBytes(100)]), { secret })).toEqual(['secret']);
});

test('the passphrase is found as typed and form-encoded; other bytes are not taken for a secret', () => {
  const passphrase = Buffer.from('a different key passphrase');
  expect(secretsIn(Buffer.from('key_passphrase=a+different+key+passphrase&x=1'), { passphrase })).toEqual(['passphrase']);
  expect(secretsIn(Buffer.from('{"p":"a different key passphrase"}'), { passphrase })).toEqual(['passphrase']);
  expect(secretsIn(randomBytes(1 << 20), { secret, passphrase })).toEqual([]);
});
