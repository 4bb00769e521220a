import express, { type RequestHandler } from 'express';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../client/public');

/** Same-origin static files; no directory listings, no dotfiles, no ETag-based tracking. */
export function staticFiles(): RequestHandler {
  return express.static(PUBLIC_DIR, { dotfiles: 'deny', etag: false, lastModified: false, index: false, fallthrough: true });
}
