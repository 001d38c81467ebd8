// The Forge side of the public /v1 API: creates jobs, requests a re-sync of a changed page, reads a
// job's status and the backend's health with the API key, and turns every way a call can go wrong (unreachable host, timeout, a
// refused key, a proxy error page, a backend error body) into a problem a person can act on.
// The request and response types are imported from the backend, so the contract is typed once.

import type { ApiErrorBody, CreateJobRequest, CreateJobResponse, HealthResponse, JobStatusResponse, ResyncRequest, ResyncRequestResponse } from '#src/contract/publicApi';

/** The subset of `fetch` the client needs; @forge/api's fetch in Forge, the global one in tests. */
export type FetchLike = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export type ProblemCode =
  | 'unreachable'
  | 'timeout'
  | 'unauthorized'
  | 'api_key_revoked'
  | 'rate_limited'
  | 'server_error'
  | 'not_spec2tickets'
  | 'job_not_found'
  | 'rejected';

export interface BackendProblem {
  code: ProblemCode;
  /** HTTP status when the backend (or a proxy in front of it) answered. */
  status?: number;
  /** The backend's own error code, when it sent one. */
  backendCode?: string;
  message: string;
  fields?: string[];
}

export type BackendResult<T> = { ok: true; value: T } | { ok: false; problem: BackendProblem };

export interface BackendClientOptions {
  /** Base URL as saved on the admin page, without a trailing slash (e.g. https://s2t.acme.example). */
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  /** Per request; Forge ends a resolver after 25 s, so this stays well below. */
  timeoutMs: number;
}

export interface BackendClient {
  createJob(body: CreateJobRequest): Promise<BackendResult<CreateJobResponse>>;
  /** Asks for the page's Jira issues to be updated from a newer version; a reviewer approves the updates in Spec2Tickets. */
  requestResync(body: ResyncRequest): Promise<BackendResult<ResyncRequestResponse>>;
  /** The job's status; with the page version the user sees, "changed since" is measured against it. */
  getJob(jobId: string, pageVersion?: number): Promise<BackendResult<JobStatusResponse>>;
  health(): Promise<BackendResult<HealthResponse>>;
}

export function createBackendClient(o: BackendClientOptions): BackendClient {
  const call = <T>(method: 'GET' | 'POST', path: string, body?: unknown) => request<T>(o, method, path, body);
  return {
    createJob: (body) => call<CreateJobResponse>('POST', '/v1/jobs', body),
    requestResync: (body) => call<ResyncRequestResponse>('POST', '/v1/resync', body),
    getJob: (jobId, pageVersion) => call<JobStatusResponse>('GET', `/v1/jobs/${encodeURIComponent(jobId)}${pageVersion !== undefined ? `?pageVersion=${pageVersion}` : ''}`),
    health: () => call<HealthResponse>('GET', '/v1/health'),
  };
}

class Timeout extends Error {}

async function request<T>(o: BackendClientOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<BackendResult<T>> {
  const url = o.baseUrl + path;
  const where = describeHost(o.baseUrl);
  const seconds = Math.round(o.timeoutMs / 100) / 10;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The race is the real limit: a fetch that ignores its signal still cannot outlive the resolver.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Timeout());
    }, o.timeoutMs);
  });
  try {
    const headers: Record<string, string> = { authorization: `Bearer ${o.apiKey}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await Promise.race([
      o.fetch(url, { method, headers, signal: controller.signal, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }),
      deadline,
    ]);
    const text = await Promise.race([res.text(), deadline]);
    const parsed = parseJson(text);
    if (res.status >= 200 && res.status < 300) {
      if (parsed === undefined || typeof parsed !== 'object' || parsed === null) {
        return fail({ code: 'not_spec2tickets', status: res.status, message: `${where} answered, but not with the Spec2Tickets API (is the backend URL right? It should be the address of the public listener, without /v1).` });
      }
      return { ok: true, value: parsed as T };
    }
    return fail(problemFromStatus(res.status, isApiError(parsed) ? parsed : undefined, res.headers.get('retry-after'), where));
  } catch (err) {
    if (err instanceof Timeout || (err instanceof Error && err.name === 'AbortError')) {
      return fail({ code: 'timeout', message: `${where} did not answer within ${seconds} s. Check that the backend is running and that the reverse proxy forwards to it.` });
    }
    return fail({ code: 'unreachable', message: `Cannot reach ${where}: ${describeNetworkError(err)}. Check the backend URL, that the backend is running, and that its host is listed in the app's external fetch permission.` });
  } finally {
    clearTimeout(timer);
  }

  function fail(problem: BackendProblem): BackendResult<T> {
    return { ok: false, problem: { ...problem, message: redact(problem.message, o.apiKey) } };
  }
}

function problemFromStatus(status: number, err: ApiErrorBody | undefined, retryAfter: string | null, where: string): BackendProblem {
  const said = err ? `: ${err.message}` : '';
  const base = { status, ...(err ? { backendCode: err.code } : {}), ...(err?.fields ? { fields: err.fields } : {}) };
  if (status === 401) {
    if (err?.code === 'api_key_revoked') return { ...base, code: 'api_key_revoked', message: `${where} refused the API key because it has been revoked. Create a new key in Spec2Tickets (API keys) and save it on the Spec2Tickets admin page.` };
    return { ...base, code: 'unauthorized', message: `${where} refused the API key (HTTP 401)${said}. Paste a current key from Spec2Tickets (API keys) on the Spec2Tickets admin page.` };
  }
  if (status === 429) {
    const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Try again in ${retryAfter} s.` : ' Try again shortly.';
    return { ...base, code: 'rate_limited', message: `${where} is limiting requests from this app.${wait}` };
  }
  if (status === 404 && err?.code === 'job_not_found') return { ...base, code: 'job_not_found', message: `The backend no longer knows this job${said}. Request a new breakdown.` };
  if (status >= 500) {
    if (!err) return { ...base, code: 'server_error', message: `${where} answered HTTP ${status} without a Spec2Tickets error; the reverse proxy is up but the backend behind it is probably not running.` };
    return { ...base, code: 'server_error', message: `The Spec2Tickets backend reported a problem (HTTP ${status})${said}.` };
  }
  if (!err) return { ...base, code: 'not_spec2tickets', message: `${where} answered HTTP ${status}, which is not the Spec2Tickets API. Check the backend URL (the public listener's address, without /v1).` };
  return { ...base, code: 'rejected', message: `The Spec2Tickets backend refused the request (HTTP ${status})${said}.` };
}

function isApiError(x: unknown): x is ApiErrorBody {
  return typeof x === 'object' && x !== null && typeof (x as ApiErrorBody).code === 'string' && typeof (x as ApiErrorBody).message === 'string';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeHost(baseUrl: string): string {
  try {
    return `the Spec2Tickets backend at ${new URL(baseUrl).host}`;
  } catch {
    return 'the Spec2Tickets backend';
  }
}

/** Node's fetch hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, certificate errors). */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const known: Record<string, string> = {
    ECONNREFUSED: 'the connection was refused (nothing listens on that address)',
    ENOTFOUND: 'the host name does not resolve',
    ECONNRESET: 'the connection was reset',
    EAI_AGAIN: 'the host name could not be resolved right now',
    CERT_HAS_EXPIRED: "the backend's TLS certificate has expired",
    DEPTH_ZERO_SELF_SIGNED_CERT: "the backend's TLS certificate is self-signed",
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: "the backend's TLS certificate chain is incomplete",
  };
  if (cause?.code && known[cause.code]) return known[cause.code]!;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Belt and braces: no message that leaves the resolver may carry the key. */
export function redact(text: string, secret: string): string {
  return secret.length >= 8 ? text.split(secret).join('[redacted]') : text;
}
