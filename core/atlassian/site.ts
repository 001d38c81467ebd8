// The Atlassian site the product talks to (one service account) and the one error type every
// Confluence and Jira call fails with. Messages say what to do next and never contain the API token.

export interface AtlassianSite {
  /** e.g. https://acme.atlassian.net (no trailing slash needed). */
  siteUrl: string;
  email: string;
  apiToken: string;
}

export type AtlassianErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'bad_request'
  | 'server'
  | 'network'
  | 'timeout';

export class AtlassianError extends Error {
  readonly code: AtlassianErrorCode;
  readonly status?: number;
  /** Parsed JSON error body from Atlassian, when there was one (never contains credentials). */
  readonly details?: unknown;

  constructor(code: AtlassianErrorCode, message: string, options: { status?: number; details?: unknown; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AtlassianError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
    if (options.details !== undefined) this.details = options.details;
  }
}

/** The site's base URL without a trailing slash; rejects anything that is not http(s). */
export function siteBaseUrl(site: AtlassianSite): string {
  let url: URL;
  try {
    url = new URL(site.siteUrl);
  } catch {
    throw new AtlassianError('bad_request', `The Atlassian site URL "${site.siteUrl}" is not a valid URL; use e.g. https://your-company.atlassian.net`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new AtlassianError('bad_request', `The Atlassian site URL must start with https:// (got "${url.protocol}")`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function basicAuthorization(site: AtlassianSite): string {
  return `Basic ${Buffer.from(`${site.email}:${site.apiToken}`, 'utf8').toString('base64')}`;
}

/** Jira and Confluence error bodies as one readable line ("summary: Field is required; …"). */
export function describeAtlassianErrorBody(body: unknown): string {
  if (!body || typeof body !== 'object') return typeof body === 'string' ? body.slice(0, 300) : '';
  const b = body as Record<string, unknown>;
  const parts: string[] = [];
  if (Array.isArray(b.errorMessages)) parts.push(...b.errorMessages.filter((m): m is string => typeof m === 'string'));
  if (b.errors && typeof b.errors === 'object' && !Array.isArray(b.errors)) {
    for (const [field, msg] of Object.entries(b.errors as Record<string, unknown>)) parts.push(`${field}: ${String(msg)}`);
  }
  // Confluence v2: { errors: [{ status, code, title, detail }] }
  if (Array.isArray(b.errors)) {
    for (const e of b.errors as Record<string, unknown>[]) {
      const t = [e?.title, e?.detail].filter((x) => typeof x === 'string' && x).join(': ');
      if (t) parts.push(t);
    }
  }
  if (typeof b.message === 'string') parts.push(b.message);
  return parts.join('; ');
}

/** Turns an HTTP failure into an AtlassianError whose message names the operation and the fix. */
export function errorForStatus(site: AtlassianSite, status: number, operation: string, body?: unknown, retryAfterSec?: number): AtlassianError {
  const detail = describeAtlassianErrorBody(body);
  const suffix = detail ? ` Atlassian said: ${detail}` : '';
  const host = safeHost(site);
  const opts = { status, details: body };
  if (status === 401)
    return new AtlassianError('unauthorized', `Atlassian rejected the credentials for ${site.email} at ${host} (401) while trying to ${operation}. Check the email and API token in Settings.`, opts);
  if (status === 403)
    return new AtlassianError('forbidden', `The account ${site.email} is not allowed to ${operation} on ${host} (403). Grant it the needed permission or use another account.${suffix}`, opts);
  if (status === 404)
    return new AtlassianError('not_found', `Could not ${operation}: not found on ${host} (404), or the account ${site.email} cannot see it.${suffix}`, opts);
  if (status === 429)
    return new AtlassianError('rate_limited', `Atlassian kept rate-limiting requests to ${operation} on ${host} (429${retryAfterSec !== undefined ? `, Retry-After ${retryAfterSec}s` : ''}). Try again in a few minutes.`, opts);
  if (status >= 500)
    return new AtlassianError('server', `Atlassian had a server error (${status}) while trying to ${operation} on ${host}. Try again later.${suffix}`, opts);
  return new AtlassianError('bad_request', `Atlassian refused the request to ${operation} (${status}).${suffix}`, opts);
}

function safeHost(site: AtlassianSite): string {
  try {
    return new URL(site.siteUrl).host;
  } catch {
    return site.siteUrl;
  }
}
