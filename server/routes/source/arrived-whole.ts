import type { RequestHandler } from 'express';
import { HttpError } from '../../http/errors.ts';
import { said } from '../../i18n/said.ts';

// What a bodiless state change may carry and still be read to its end (a browser sends none).
const MAX_IGNORED = 64 * 1024;

/**
 * A state change whose route reads no body is made only once the request has arrived whole: one
 * that declares bytes it never sends (a lying Content-Length, a connection cut short) changes
 * nothing, as a refused request does. The bytes, if any, are read and dropped.
 */
export const arrivedWhole: RequestHandler = (req, _res, next) => {
  if (Number(req.get('content-length') ?? 0) > MAX_IGNORED) return next(new HttpError(413, said('error.objectTooLarge')));
  if (req.readableEnded) return next();
  req.once('end', () => next());
  req.resume();
};
