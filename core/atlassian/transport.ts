// The one HTTP path to an Atlassian site: basic auth, per-request timeout, cancellation, and the
// retry policy. 429 is always retried (Atlassian did not act on the request), honouring Retry-After,
// with exponential backoff and jitter; 5xx, timeouts and network failures are retried only for
// idempotent requests, because a create that timed out may well have happened — callers that create
// reconcile first (see core/jira/createIssues.ts). Counts requests so callers can report them.

import { AtlassianError, basicAuthorization, errorForStatus, siteBaseUrl } from './site.ts';
import type { AtlassianSite } from './site.ts';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy {
  /** Total attempts including the first (429 and retryable failures). Default 6. */
  maxAttempts: number;
  /** First backoff when no Retry-After is given. Default 500 ms. */
  baseDelayMs: number;
  /** Upper bound of one wait, including Retry-After. Default 60 s. */
  maxDelayMs: number;
}

export interface TransportOptions {
  fetch?: FetchLike;
  sleep?: Sleep;
  /** Per-request timeout. Default 30 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Cancels everything this transport does (job cancelled, shutdown). */
  signal?: AbortSignal;
  /** 0 ≤ x < 1; injectable so backoff is testable. */
  random?: () => number;
}

export interface AtlassianRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path from the site root, e.g. /rest/api/3/myself. */
  path: string;
  query?: Record<string, string | number | boolean | readonly (string | number)[] | undefined>;
  body?: unknown;
  /** What the request is for, in words ("read Confluence page 123"): used in error messages. */
  operation: string;
  /** Whether a 5xx/timeout may be retried blindly. Defaults to true for GET only. */
  idempotent?: boolean;
  signal?: AbortSignal;
}

export interface AtlassianResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  body: unknown;
}

export interface AtlassianTransport {
  readonly site: AtlassianSite;
  send(req: AtlassianRequest): Promise<AtlassianResponse>;
  /** HTTP requests actually sent, retries included. */
  requestCount(): number;
}

export const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('The operation was cancelled');
}

export function createAtlassianTransport(site: AtlassianSite, options: TransportOptions = {}): AtlassianTransport {
  const base = siteBaseUrl(site);
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 60_000, ...options.retry };
  const auth = basicAuthorization(site);
  let count = 0;

  function backoff(attempt: number): number {
    // Full jitter: a random wait up to base·2^attempt, so concurrent jobs do not retry in lockstep.
    const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
    return Math.round(cap / 2 + (random() * cap) / 2);
  }

  async function send(req: AtlassianRequest): Promise<AtlassianResponse> {
    const url = buildUrl(base, req.path, req.query);
    const idempotent = req.idempotent ?? req.method === 'GET';
    const outer = anySignal([options.signal, req.signal]);
    let lastRetryAfter: number | undefined;
    for (let attempt = 0; ; attempt++) {
      if (outer?.aborted) throw abortError(outer);
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = anySignal([outer, timeout])!;
      let res: Response;
      count++;
      try {
        res = await doFetch(url, {
          method: req.method,
          headers: {
            Authorization: auth,
            Accept: 'application/json',
            ...(req.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          },
          body: req.body !== undefined ? JSON.stringify(req.body) : undefined,
          signal,
        });
      } catch (err) {
        if (outer?.aborted) throw abortError(outer);
        const timedOut = timeout.aborted;
        const failure = timedOut
          ? new AtlassianError('timeout', `No answer from ${new URL(base).host} within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`} while trying to ${req.operation}. Check the network or try again.`, { cause: err })
          : new AtlassianError('network', `Could not reach ${new URL(base).host} to ${req.operation}: ${(err as Error).message}. Check the site URL and the network.`, { cause: err });
        if (idempotent && attempt + 1 < policy.maxAttempts) {
          await sleep(backoff(attempt), outer);
          continue;
        }
        throw failure;
      }
      const body = await readBody(res).catch((err: unknown) => {
        if (timeout.aborted) return new AtlassianError('timeout', `The answer from ${new URL(base).host} stalled while trying to ${req.operation}.`, { cause: err });
        throw err;
      });
      if (body instanceof AtlassianError) {
        if (idempotent && attempt + 1 < policy.maxAttempts) continue;
        throw body;
      }
      if (res.ok) return { status: res.status, headers: res.headers, body };

      if (res.status === 429) {
        lastRetryAfter = parseRetryAfter(res.headers.get('retry-after'));
        if (attempt + 1 < policy.maxAttempts) {
          const wait = lastRetryAfter !== undefined ? Math.min(policy.maxDelayMs, lastRetryAfter * 1000 + random() * 250) : backoff(attempt);
          await sleep(wait, outer);
          continue;
        }
        throw errorForStatus(site, 429, req.operation, body, lastRetryAfter);
      }
      if (res.status >= 500 && idempotent && attempt + 1 < policy.maxAttempts) {
        await sleep(backoff(attempt), outer);
        continue;
      }
      throw errorForStatus(site, res.status, req.operation, body);
    }
  }

  return { site, send, requestCount: () => count };
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Retry-After is seconds (or an HTTP date); returns seconds. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0) return n;
  const date = Date.parse(value);
  if (Number.isFinite(date)) return Math.max(0, (date - Date.now()) / 1000);
  return undefined;
}

function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  return AbortSignal.any(present);
}

function buildUrl(base: string, path: string, query: AtlassianRequest['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) params.append(k, String(x));
    else params.set(k, String(v));
  }
  const qs = params.toString();
  return `${base}${path.startsWith('/') ? path : `/${path}`}${qs ? `?${qs}` : ''}`;
}
