import type { RequestHandler } from 'express';

/** Whether the request arrived through the onion service itself (tor passes the onion as Host). */
export const cameByOnion = (host: string | undefined, onion: string): boolean => (host ?? '').toLowerCase() === onion;

/**
 * Onion-Location tells Tor Browser, on a clearnet mirror, that the same page is at the onion
 * address. Sent only when the operator declared a mirror (SEALDROP_ONION_LOCATION=1), on pages,
 * and never to a visitor who already came by the onion.
 */
export function onionLocation(onion: string): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' && !cameByOnion(req.get('host'), onion)) res.setHeader('Onion-Location', `http://${onion}${req.originalUrl}`);
    next();
  };
}
