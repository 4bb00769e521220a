import busboy from 'busboy';
import type { Request } from 'express';
import { Readable } from 'node:stream';
import { HttpError } from '../http/errors.ts';
import { MESSAGE_NAME, MESSAGE_TYPE } from '../../common/messages.ts';
import { said } from '../i18n/said.ts';
import { formatLimit } from '../../common/sizes.ts';

export const MAX_MESSAGE_BYTES = 100_000;
const MAX_FILES = 20;
// once, desk, message, and an empty file input that some browsers send as a field.
const FIELDS = 4;

/** One item of the no-JS form, handed over while its bytes are still arriving. */
export type FormItem = { name: string; type: string; content: Readable & { truncated?: boolean } };

/**
 * What the source typed and chose, for the form a refusal shows again, and the form's one-send
 * token (sources/form-tokens.ts). `desk`: the desk chosen (two desks or more), as sent.
 */
export type Typed = { message: string; once?: string; desk?: string };

/**
 * The message and desk of a form refused before it is read (too large): the form puts them before
 * the files, so it is read up to the first file and the rest is left to be drained and dropped.
 */
export function typedFields(req: Request): Promise<Typed> {
  return new Promise((resolve) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { fieldSize: MAX_MESSAGE_BYTES, fields: FIELDS, files: 1 } });
    } catch {
      return resolve({ message: '' });
    }
    const typed: Typed = { message: '' };
    const done = () => {
      req.unpipe(bb);
      // The rest is read and dropped: once read from, a request is no longer drained by Node
      // after the answer, and a browser shows "connection reset" instead of the refusal.
      req.resume();
      bb.removeAllListeners();
      bb.on('error', () => undefined);
      bb.destroy();
      resolve(typed);
    };
    bb.on('field', (field, value) => {
      if (field === 'message' || field === 'desk') typed[field] = value;
    });
    bb.on('file', (_field, stream) => {
      stream.on('error', () => undefined).resume();
      done();
    });
    bb.on('error', done);
    bb.on('close', done);
    req.pipe(bb);
  });
}

/**
 * Reads the multipart form as a stream (busboy never spools to disk) and hands each file, then
 * the message, to `onItem` one at a time. Rejects on any malformed, oversized or aborted upload.
 */
export function readForm(req: Request, maxFileBytes: number, onItem: (item: FormItem) => Promise<void>, typed: Typed = { message: '' }): Promise<number> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      // File names arrive as UTF-8 from every current browser; busboy would otherwise read them as latin1.
      // busboy marks a file truncated when it reaches fileSize, so one byte more lets a file of
      // exactly the limit through ("at most the limit"); a byte past it is still refused.
      bb = busboy({ headers: req.headers, defParamCharset: 'utf8', limits: { files: MAX_FILES, fileSize: maxFileBytes + 1, fields: FIELDS, fieldSize: MAX_MESSAGE_BYTES, parts: MAX_FILES + FIELDS } });
    } catch {
      return reject(new HttpError(415, said('error.multipart')));
    }
    const declared = req.headers['content-length'] !== undefined;
    let chain = Promise.resolve();
    let count = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      req.unpipe(bb);
      req.resume(); // drain what is still arriving, so the source gets the answer
      // Ends the file stream being encrypted, so its half-stored submission is discarded at once.
      bb.destroy(error instanceof Error ? error : undefined);
      // Answer only once the item being encrypted has settled, so the caller can discard all of it.
      void chain.finally(() => reject(error));
    };
    const enqueue = (item: FormItem) => {
      count++;
      chain = chain.then(() => (failed ? void item.content.resume() : onItem(item))).catch(fail);
    };
    bb.on('file', (field, stream, info) => {
      // Failures are reported once, by `fail`; the stream's own error must not crash the process.
      stream.on('error', () => undefined);
      if (field !== 'files') return fail(new HttpError(400, said('error.unexpectedField', { field })));
      // A file input left empty still sends a nameless, empty part.
      if (!info.filename) return void stream.resume();
      // A form hiding its length is refused the moment its file reaches the limit: busboy would read
      // (and drop) the rest of the body, however long, before the file's end showed it truncated.
      // One that declares it said at most the limit and the form's framing (or nojs.ts refused it):
      // it is read to its end, a few KiB more, so that the browser sees the answer. Deferred until
      // busboy's own handler returns, which still marks the stream as truncated.
      if (!declared) stream.on('limit', () => queueMicrotask(() => fail(new HttpError(413, said('error.nojsFileTooLarge', { size: formatLimit(maxFileBytes) })))));
      enqueue({ name: info.filename, type: info.mimeType, content: stream });
    });
    bb.on('field', (field, value, info) => {
      if (field === 'files' && value === '') return; // some browsers send an empty file input as a field
      if (field === 'once' && typed.once === undefined) return void (typed.once = value);
      // Who reads the files is known before the first of them is encrypted, or the form is refused.
      if (field === 'desk' && typed.desk === undefined) return count > 0 ? fail(new HttpError(400, said('source.desk.missing'), 'desk_missing')) : void (typed.desk = value);
      if (field !== 'message') return fail(new HttpError(400, said('error.unexpectedField', { field })));
      typed.message = value; // kept for the form a refusal shows again (routes/source/refusals.ts)
      if (info.valueTruncated) return fail(new HttpError(413, said('error.messageTooLong', { size: formatLimit(MAX_MESSAGE_BYTES) })));
      if (value.trim() !== '') enqueue({ name: MESSAGE_NAME, type: MESSAGE_TYPE, content: Readable.from([Buffer.from(value, 'utf8')]) });
    });
    for (const limit of ['filesLimit', 'fieldsLimit', 'partsLimit'] as const) {
      bb.on(limit, () => fail(new HttpError(413, said('error.tooManyFiles', { max: MAX_FILES }))));
    }
    bb.on('error', () => fail(new HttpError(400, said('error.malformedUpload'))));
    bb.on('close', () => chain.then(() => !failed && resolve(count), fail));
    req.on('close', () => !req.complete && fail(new HttpError(400, said('error.brokeOff'))));
    req.pipe(bb);
  });
}
