// What keeps other local pages out of the admin listener. Cookies ignore ports, so a page served by
// any other program on 127.0.0.1 is "same-site" to the admin listener and its form posts carry the
// session cookie. This module refuses such requests and tells browsers how to treat admin pages:
// - every state-changing request (anything but GET/HEAD/OPTIONS) must come from the admin origin
//   itself: a Sec-Fetch-Site other than same-origin, or an Origin other than the admin origin, is 403;
// - every state-changing request that relies on the session cookie must be JSON (a cross-origin page
//   cannot send that without a CORS preflight, which this listener never grants); requests carrying
//   the session token in an Authorization header (CLI, scripts) are exempt, since no page can add it;
// - the session cookie's name includes the port, so another program's cookie jar entry on 127.0.0.1
//   is a different cookie and ours is never mistaken for theirs;
// - responses carry a Content-Security-Policy (own origin only, never framed), nosniff and no referrer.

import type { RequestHandler } from 'express';
import { sendError } from './httpErrors.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const ADMIN_CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

/** The session cookie of the admin listener on `port`. */
export function sessionCookieName(port: number): string {
  return `s2t_session_${port}`;
}

/** The origins a page of the admin listener on `port` has (the addresses the Host check allows). */
export function adminOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}

export const adminSecurityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', ADMIN_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  next();
};

/** Refuses state-changing requests from other origins, and cookie-authenticated ones that are not JSON. */
export function sameOriginWrites(port: () => number): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const origins = adminOrigins(port());
    const fetchSite = req.get('sec-fetch-site');
    if (fetchSite !== undefined && fetchSite !== 'same-origin') {
      return sendError(res, 403, 'cross_origin_refused', `The admin listener only accepts changes from its own pages (${origins[0]}); this request came from a ${fetchSite} page`);
    }
    const origin = req.get('origin');
    if (origin !== undefined && !origins.includes(origin.toLowerCase())) {
      return sendError(res, 403, 'cross_origin_refused', `The admin listener only accepts changes from its own pages (${origins.join(' or ')}); this request came from another origin`);
    }
    if (req.get('authorization') === undefined && mediaType(req.get('content-type')) !== 'application/json') {
      return sendError(res, 403, 'json_required', 'Changes on the admin listener must be sent as JSON (Content-Type: application/json), even with an empty body ({})');
    }
    next();
  };
}

function mediaType(header: string | undefined): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase();
}
