import type { RequestHandler } from 'express';
import helmet from 'helmet';

// Every byte comes from this origin; nothing may frame, embed or be embedded.
const CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    // The source page's sealing workers (/static/js/seal-worker.js): this origin's scripts only, never blob: or data:.
    workerSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    upgradeInsecureRequests: null,
  },
};

/** Helmet and caching rules, mounted first so that error pages and static files get them too. */
export function securityHeaders(): RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: CSP,
      // Never a Referer to another site; this site's own requests keep their real Origin, which the
      // same-origin check needs where there is no Sec-Fetch-Site (an http .onion outside Tor Browser
      // is not a secure context). Under no-referrer those forms say "Origin: null" and were refused.
      referrerPolicy: { policy: 'same-origin' },
      crossOriginEmbedderPolicy: true,
      crossOriginResourcePolicy: { policy: 'same-origin' },
      crossOriginOpenerPolicy: { policy: 'same-origin' },
      // Onion services run over plain HTTP; HSTS would only break a misconfigured clearnet mirror.
      strictTransportSecurity: false,
    }),
    (_req, res, next) => {
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()');
      res.setHeader('X-Robots-Tag', 'noindex, nofollow');
      next();
    },
  ];
}
