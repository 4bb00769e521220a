// Bodies of a declared length read into one buffer, and the folded route's pool of such buffers
// (server/http/read-body.ts): exactly the bytes sent, a body cut short or running long refused, and
// a reused buffer never shows an earlier request's bytes.
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { HttpError } from '../../../server/http/errors.ts';
import { BodyPool, readDeclared } from '../../../server/http/read-body.ts';

/** A request body as the route sees it: a readable stream of chunks. */
const body = () => new PassThrough();
const asRequest = (s: PassThrough) => s as unknown as IncomingMessage;

test('the bytes sent, in chunks, are the buffer read', async () => {
  const s = body();
  const read = readDeclared(asRequest(s), 10);
  s.write(Buffer.from('01234'));
  s.end(Buffer.from('56789'));
  expect((await read).toString()).toBe('0123456789');
});

test('a body that ends before its declared length is refused (400)', async () => {
  const s = body();
  const read = readDeclared(asRequest(s), 10);
  s.end(Buffer.from('0123'));
  await expect(read).rejects.toMatchObject({ status: 400 });
  await expect(read).rejects.toBeInstanceOf(HttpError);
});

test('a connection closed mid-body is refused (400)', async () => {
  const s = body();
  const read = readDeclared(asRequest(s), 10);
  s.write(Buffer.from('0123'));
  s.destroy();
  await expect(read).rejects.toMatchObject({ status: 400 });
});

test('a body that runs past its declared length is refused (400), and the rest is read and dropped', async () => {
  const s = body();
  const read = readDeclared(asRequest(s), 4);
  s.write(Buffer.from('012345'));
  await expect(read).rejects.toMatchObject({ status: 400 });
  s.end(Buffer.from('more'));
  await new Promise((r) => s.once('end', r)); // still flowing: nothing is left waiting on a full buffer
});

test('a pooled buffer is reused after its request settles, and the next body shows only its own bytes', async () => {
  const pool = new BodyPool(16, 2);
  const first = {};
  const a = body();
  const readA = readDeclared(asRequest(a), 12, pool.lend(first));
  a.end(Buffer.from('AAAAAAAAAAAA'));
  const bytesA = await readA;
  pool.settled(first);
  const second = {};
  const lent = pool.lend(second);
  expect(lent.buffer).toBe(bytesA.buffer); // the same memory, handed on
  const b = body();
  const readB = readDeclared(asRequest(b), 3, lent);
  b.end(Buffer.from('bbb'));
  const bytesB = await readB;
  expect(bytesB.length).toBe(3);
  expect(bytesB.toString()).toBe('bbb');
});

test('a buffer settled twice is handed on once: two requests never share one', () => {
  const pool = new BodyPool(8, 4);
  const x = {};
  const bx = pool.lend(x);
  pool.settled(x);
  pool.settled(x);
  const [a, b] = [pool.lend({}), pool.lend({})];
  expect(a.buffer).toBe(bx.buffer);
  expect(b.buffer).not.toBe(bx.buffer);
});

test('a buffer still lent is never lent again, and at most `keep` idle buffers are kept', () => {
  const pool = new BodyPool(8, 1);
  const [x, y, z] = [{}, {}, {}];
  const bx = pool.lend(x);
  const by = pool.lend(y);
  expect(by.buffer).not.toBe(bx.buffer);
  pool.settled(x);
  pool.settled(y); // one more than `keep`: dropped
  pool.settled(y); // settling twice gives nothing back twice
  expect(pool.lend(z).buffer).toBe(bx.buffer);
  expect(pool.lend({}).buffer).not.toBe(by.buffer);
});
