import { describe, expect, test } from 'vitest';
import {
  BadManifestError,
  DecryptionError,
  EnvelopeError,
  NotEncryptedError,
  PartMismatchError,
  SourceKeyError,
  UnknownOptionError,
  UnsupportedKeyError,
  WrongRecipientsError,
} from '../../../common/envelope/index.ts';
import { SessionsFullError } from '../../../server/auth/sessions.ts';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { classify, codeForStatus, errorHandler, HttpError } from '../../../server/http/errors.ts';
import { KeyPoolBusyError } from '../../../server/sources/key-pool.ts';
import { StoredKeyRefusedError } from '../../../server/sources/unlock.ts';
import { UnknownCodenameError } from '../../../server/routes/source/conversation.ts';
import { ConflictError, DiskFullError, IncompleteError, NotFoundError, SourceGoneError } from '../../../server/store/index.ts';
import { said } from '../../../server/i18n/said.ts';

// Codes are a contract with the browser and with scripts: pinned here so that renaming one is a
// deliberate, visible change, never a side effect of rewording a message.
const SNAKE = /^[a-z]+(_[a-z]+)*$/;

describe('envelope errors', () => {
  const codes = {
    EnvelopeError: new EnvelopeError('m').code,
    NotEncryptedError: new NotEncryptedError('m').code,
    WrongRecipientsError: new WrongRecipientsError('m').code,
    UnsupportedKeyError: new UnsupportedKeyError('m').code,
    SourceKeyError: new SourceKeyError('m').code,
    DecryptionError: new DecryptionError('m').code,
    BadManifestError: new BadManifestError('m').code,
    PartMismatchError: new PartMismatchError(1, 'm').code,
    UnknownOptionError: new UnknownOptionError('m').code,
  };

  test('each class has its own stable snake_case code', () => {
    expect(codes).toEqual({
      EnvelopeError: 'bad_envelope',
      NotEncryptedError: 'not_encrypted',
      WrongRecipientsError: 'wrong_recipients',
      UnsupportedKeyError: 'unsupported_key',
      SourceKeyError: 'not_sealdrop_key',
      DecryptionError: 'decryption_failed',
      BadManifestError: 'bad_manifest',
      PartMismatchError: 'part_mismatch',
      UnknownOptionError: 'unknown_option',
    });
    expect(new Set(Object.values(codes)).size).toBe(Object.keys(codes).length);
  });
});

describe('the HTTP mapping', () => {
  // Every error class the HTTP layer answers for, with the status and code a client sees.
  const answered: [Error, number, string][] = [
    [new WrongRecipientsError('m'), 409, 'wrong_recipients'],
    [new NotEncryptedError('m'), 400, 'not_encrypted'],
    [new BadManifestError('m'), 400, 'bad_manifest'],
    [new UnsupportedKeyError('m'), 400, 'unsupported_key'],
    [new SourceKeyError('m'), 400, 'not_sealdrop_key'],
    [new SourceGoneError(), 401, 'source_gone'],
    [new NotFoundError(said('error.noReply')), 404, 'not_found'],
    [new ConflictError(said('store.complete')), 409, 'conflict'],
    [new IncompleteError(said('store.manifestMissing')), 409, 'incomplete_submission'],
    [new SessionsFullError(), 503, 'busy'],
    [new UnknownCodenameError(), 401, 'unknown_codename'],
    [new StoredKeyRefusedError(), 409, 'source_key_refused'],
  ];

  test.each(answered)('%s answers %i with its code', (error, status, code) => {
    expect(classify(error)).toEqual({ status, code });
  });

  test('every domain error class has a distinct code', () => {
    const codes = answered.map(([, , code]) => code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(SNAKE);
  });

  test('an HttpError without a code of its own is named by its status', () => {
    expect([400, 401, 403, 404, 408, 409, 413, 415, 429, 503].map(codeForStatus)).toEqual([
      'bad_request',
      'unauthorized',
      'forbidden',
      'not_found',
      'too_slow',
      'conflict',
      'too_large',
      'unsupported_media_type',
      'too_many_attempts',
      'busy',
    ]);
    expect(classify(new HttpError(404, said('error.noReply')))).toEqual({ status: 404, code: 'not_found' });
    expect(classify(new HttpError(503, said('error.notOpen'), 'not_open'))).toEqual({ status: 503, code: 'not_open' });
  });

  test('an unexpected error is a server_error, whatever code property it carries', () => {
    expect(classify(Object.assign(new Error('boom'), { code: 'EIO' }))).toEqual({ status: 500, code: 'server_error' });
    expect(classify(new DecryptionError('m'))).toEqual({ status: 500, code: 'server_error' });
  });

  test('a full disk, from the filesystem or from SQLite, is a 507 no_space, whatever the layer', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'SQLITE_FULL']) expect(classify(Object.assign(new Error('x'), { code }))).toEqual({ status: 507, code: 'no_space' });
    expect(classify(new DiskFullError())).toEqual({ status: 507, code: 'no_space' });
  });

  test("body-parser's refusals get codes too", () => {
    expect(classify(Object.assign(new Error('x'), { type: 'entity.too.large', status: 413 }))).toEqual({ status: 413, code: 'too_large' });
    expect(classify(Object.assign(new Error('x'), { type: 'entity.parse.failed', status: 400 }))).toEqual({ status: 400, code: 'bad_json' });
  });
});

describe('the answer a person reads', () => {
  async function answer(error: Error, path: string): Promise<{ status: number; body: string }> {
    const app = express();
    app.use((_req, _res, next) => next(error));
    app.use(errorHandler());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`);
      return { status: res.status, body: await res.text() };
    } finally {
      server.close();
    }
  }

  test('a full key-worker queue is "busy" like a full session table, and says so in its own words', async () => {
    expect(classify(new KeyPoolBusyError())).toEqual(classify(new SessionsFullError()));
    const { status, body } = await answer(new KeyPoolBusyError(), '/api/x');
    expect(status).toBe(503);
    expect(JSON.parse(body)).toEqual({ error: new KeyPoolBusyError().message, code: 'busy' });
  });

  test('an unexpected fault never shows its own message, on a page or in JSON', async () => {
    const page = await answer(new Error('/srv/secret/path exploded'), '/x');
    expect(page.status).toBe(500);
    expect(page.body).not.toContain('/srv/secret');
    expect(page.body).toContain('Something went wrong on the server');
    const json = await answer(new Error('/srv/secret/path exploded'), '/api/x');
    expect(json.status).toBe(500);
    expect(JSON.parse(json.body).code).toBe('server_error');
    expect(json.body).not.toContain('/srv/secret');
  });
});
