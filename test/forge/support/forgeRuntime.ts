// A stand-in for the Forge runtime, so the app's real resolver code runs in a test: the globals
// @forge/api 8.x and @forge/kvs look for (`__forge_runtime__`, `__forge_fetch__`), with Forge
// storage kept in memory behind the same HTTP protocol @forge/kvs speaks (POST /api/v1/get,
// /set, /delete and their /secret/ twins; a missing key is a 404 KEY_NOT_FOUND), Confluence as the
// calling user for the few calls the app makes (a page, what the user may do with it, whether they
// administer Confluence — shaped as Confluence answers them), and the deployed manifest's egress
// list in the app context (what @forge/api's permissions.canFetchFrom reads). External fetches go
// through the global fetch, as in Forge; `publish` stands in for the internet and the customer's
// reverse proxy: https://<name> reaches a loopback port.

import { OpenApiContract } from '../../fakes/atlassian/openapi.ts';

let openApi: OpenApiContract | undefined;
const contract = () => (openApi ??= new OpenApiContract());

interface ForgeTarget {
  type: string;
  accountId?: string;
  provider?: string;
  remote?: string;
}

export interface KvsCall {
  path: string;
  key: string;
}

export interface ForgeRuntimeStandIn {
  /** Plain values and secrets, as Forge storage would hold them. */
  values: Map<string, unknown>;
  secrets: Map<string, unknown>;
  /** Every storage request, in order. */
  calls: KvsCall[];
  /** Makes every storage request fail with this HTTP status (null: storage works). */
  failStorageWith: number | null;
  /** Confluence as the stand-in knows it: pages with their version and editors, and the admins. */
  confluence: { pages: Map<string, { version: number; editors: Set<string>; readers: Set<string> | null }>; admins: Set<string>; notConsented: Set<string> };
  /** Every Confluence request, with the user it was made as. */
  confluenceCalls: { path: string; accountId: string | null }[];
  /** Answers to v2 calls that break Confluence's OpenAPI document (the app's requests included). */
  confluenceViolations: string[];
  /** The hosts in the deployed manifest's permissions.external.fetch.backend. */
  egress: string[];
  /** Makes https://<hostname> reach http://127.0.0.1:<port> (or refuse, with port 0). */
  publish(hostname: string, port: number): void;
  uninstall(): void;
}

/** Who the current invocation runs as (Forge knows it from the invocation; the invoker sets it here). */
let currentAccount: string | null = null;

/**
 * The published hosts. @forge/api takes the global fetch when it is loaded, so the stand-in for the
 * internet is installed when this module loads — import it before the app's code.
 */
const published = new Map<string, number>();
const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: string | URL | Request, init?: RequestInit) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  const port = published.get(url.hostname);
  if (url.protocol !== 'https:' || port === undefined) return realFetch(input, init);
  if (port === 0) throw new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ECONNREFUSED ${url.hostname}:443`), { code: 'ECONNREFUSED' }) });
  return realFetch(`http://127.0.0.1:${port}${url.pathname}${url.search}`, init);
}) as typeof fetch;

type Global = typeof globalThis & { __forge_runtime__?: unknown; __forge_fetch__?: unknown };

export function installForgeRuntime(): ForgeRuntimeStandIn {
  const g = globalThis as Global;
  const before = { runtime: g.__forge_runtime__, fetch: g.__forge_fetch__ };
  const rt: ForgeRuntimeStandIn = {
    values: new Map(),
    secrets: new Map(),
    calls: [],
    failStorageWith: null,
    confluence: { pages: new Map(), admins: new Set(), notConsented: new Set() },
    confluenceCalls: [],
    confluenceViolations: [],
    egress: [],
    publish(hostname, port) {
      published.set(hostname, port);
    },
    uninstall() {
      g.__forge_runtime__ = before.runtime;
      g.__forge_fetch__ = before.fetch;
      published.clear();
    },
  };
  const noop = { incr() {}, measure: () => ({ stop() {} }) };
  g.__forge_runtime__ = {
    proxy: { token: 'test-proxy-token', url: 'http://forge-proxy.invalid' },
    appContext: {
      appId: 'test-app',
      appVersion: '1.0.0',
      environmentId: 'test-env',
      environmentType: 'DEVELOPMENT',
      invocationId: 'test',
      installationId: 'test-install',
      moduleKey: 'test',
      get permissions() {
        return { scopes: ['storage:app', 'read:page:confluence', 'read:confluence-user'], external: { fetch: { backend: rt.egress } } };
      },
    },
    lambdaContext: { getRemainingTimeInMillis: () => 25_000 },
    metrics: { counter: () => noop, timing: () => noop },
    tracing: { traceId: 'trace', spanId: 'span' },
  };
  g.__forge_fetch__ = async (target: ForgeTarget, path: string, init?: { body?: string }): Promise<Response> => {
    if (target.type === 'fpp' && target.remote === 'confluence' && target.provider === 'user') {
      const res = confluenceAsUser(rt, path);
      const url = new URL(path, 'https://site.invalid');
      // The v2 calls are held to Atlassian's document; the v1 current-user call is not in it.
      if (url.pathname.startsWith('/wiki/api/v2/') && !res.headers.has('forge-proxy-error')) {
        const body = (await res.clone().json()) as unknown;
        rt.confluenceViolations.push(...contract().check({ method: 'GET', path: url.pathname, query: url.searchParams, requestBody: init?.body === undefined ? undefined : (JSON.parse(init.body) as unknown), status: res.status, responseBody: body }));
      }
      return res;
    }
    if (target.type !== 'kvs') {
      return new Response(JSON.stringify({ message: `the test runtime serves only Forge storage, not ${target.type} ${path}` }), { status: 500, headers: { 'forge-proxy-error': 'UNSUPPORTED' } });
    }
    const body = JSON.parse(init?.body ?? '{}') as { key?: string; value?: unknown };
    const key = String(body.key ?? '');
    rt.calls.push({ path, key });
    if (rt.failStorageWith !== null) return json(rt.failStorageWith, { code: 'INTERNAL_SERVER_ERROR', message: 'Forge storage is unavailable' });
    if (!/^(?!\s+$)[a-zA-Z0-9:._\s#-]{1,500}$/.test(key)) return json(400, { code: 'INVALID_KEY', message: `invalid key ${key}` });
    const m = /^\/api\/v1\/(secret\/)?(get|set|delete)$/.exec(path);
    if (!m) return json(404, { code: 'NOT_FOUND', message: `no storage route ${path}` });
    const map = m[1] ? rt.secrets : rt.values;
    switch (m[2]) {
      case 'get':
        return map.has(key) ? json(200, { key, value: map.get(key) }) : json(404, { code: 'KEY_NOT_FOUND', message: 'Provided key does not exist' });
      case 'set':
        // Values cross the wire as JSON, as in Forge: nothing of the caller's object is shared.
        map.set(key, JSON.parse(JSON.stringify(body.value)) as unknown);
        return new Response(null, { status: 204 });
      default:
        if (!map.delete(key)) return json(404, { code: 'KEY_NOT_FOUND', message: 'Provided key does not exist' });
        return new Response(null, { status: 204 });
    }
  };
  return rt;
}

/** The Confluence REST calls the app makes, answered for the invocation's user. */
function confluenceAsUser(rt: ForgeRuntimeStandIn, path: string): Response {
  const user = currentAccount;
  rt.confluenceCalls.push({ path, accountId: user });
  if (user === null) return json(401, { code: 401, message: 'Unauthorized; the user is not logged in' });
  // A user who has not allowed the app to act as them: Forge's proxy says so in a header.
  if (rt.confluence.notConsented.has(user)) return new Response(JSON.stringify({ message: 'Authentication required' }), { status: 401, headers: { 'forge-proxy-error': 'NEEDS_AUTHENTICATION_ERR' } });
  const url = new URL(path, 'https://site.invalid');
  if (url.pathname === '/wiki/rest/api/user/current') {
    const ops = url.searchParams.get('expand')?.split(',').includes('operations')
      ? [{ operation: 'use', targetType: 'application' }, ...(rt.confluence.admins.has(user) ? [{ operation: 'administer', targetType: 'application' }] : [])]
      : undefined;
    return json(200, { type: 'known', accountId: user, accountType: 'atlassian', displayName: user, ...(ops ? { operations: ops } : {}) });
  }
  const m = /^\/wiki\/api\/v2\/pages\/(\d+)(\/operations)?$/.exec(url.pathname);
  if (m) {
    const page = rt.confluence.pages.get(m[1]!);
    if (!page || (page.readers !== null && !page.readers.has(user) && !page.editors.has(user))) {
      return json(404, { errors: [{ status: 404, code: 'NOT_FOUND', title: 'Not Found', detail: null }] });
    }
    if (m[2]) {
      const ops = [{ operation: 'read', targetType: 'page' }, ...(page.editors.has(user) ? [{ operation: 'update', targetType: 'page' }, { operation: 'delete', targetType: 'page' }] : [])];
      return json(200, { operations: ops });
    }
    return json(200, { id: m[1], status: 'current', title: `Page ${m[1]}`, version: { number: page.version, createdAt: new Date().toISOString(), message: '', minorEdit: false, authorId: 'author' } });
  }
  return json(404, { message: `the test runtime does not serve Confluence ${path}` });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The second argument Forge passes a function: who called, as `principal.accountId`. */
export type ForgeHandler = (invocation: { call: { functionKey: string; payload?: unknown }; context: Record<string, unknown> }, runtime?: Record<string, unknown>) => Promise<unknown>;

/** Calls a resolver the way Forge invokes a function for a UI module. */
export function invoker(handler: ForgeHandler, context: Record<string, unknown>, accountId: string | null) {
  return async <T>(functionKey: string, payload?: unknown): Promise<T> => {
    currentAccount = accountId;
    try {
      return (await handler({ call: { functionKey, payload }, context }, accountId ? { principal: { accountId } } : {})) as T;
    } finally {
      currentAccount = null;
    }
  };
}
