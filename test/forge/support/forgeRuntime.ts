// A stand-in for the Forge runtime, so the app's real resolver code runs in a test: the globals
// @forge/api 8.x and @forge/kvs look for (`__forge_runtime__`, `__forge_fetch__`), with Forge
// storage kept in memory behind the same HTTP protocol @forge/kvs speaks (POST /api/v1/get,
// /set, /delete and their /secret/ twins; a missing key is a 404 KEY_NOT_FOUND). External fetches
// to the backend are not routed here: @forge/api's `fetch` uses the global fetch, as in Forge.

interface ForgeTarget {
  type: string;
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
  uninstall(): void;
}

type Global = typeof globalThis & { __forge_runtime__?: unknown; __forge_fetch__?: unknown };

export function installForgeRuntime(): ForgeRuntimeStandIn {
  const g = globalThis as Global;
  const before = { runtime: g.__forge_runtime__, fetch: g.__forge_fetch__ };
  const rt: ForgeRuntimeStandIn = {
    values: new Map(),
    secrets: new Map(),
    calls: [],
    failStorageWith: null,
    uninstall() {
      g.__forge_runtime__ = before.runtime;
      g.__forge_fetch__ = before.fetch;
    },
  };
  const noop = { incr() {}, measure: () => ({ stop() {} }) };
  g.__forge_runtime__ = {
    proxy: { token: 'test-proxy-token', url: 'http://forge-proxy.invalid' },
    appContext: { appId: 'test-app', appVersion: '1.0.0', environmentId: 'test-env', environmentType: 'DEVELOPMENT', invocationId: 'test', installationId: 'test-install', moduleKey: 'test' },
    lambdaContext: { getRemainingTimeInMillis: () => 25_000 },
    metrics: { counter: () => noop, timing: () => noop },
    tracing: { traceId: 'trace', spanId: 'span' },
  };
  g.__forge_fetch__ = async (target: ForgeTarget, path: string, init?: { body?: string }): Promise<Response> => {
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

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

/** The second argument Forge passes a function: who called, as `principal.accountId`. */
export type ForgeHandler = (invocation: { call: { functionKey: string; payload?: unknown }; context: Record<string, unknown> }, runtime?: Record<string, unknown>) => Promise<unknown>;

/** Calls a resolver the way Forge invokes a function for a UI module. */
export function invoker(handler: ForgeHandler, context: Record<string, unknown>, accountId: string | null) {
  return async <T>(functionKey: string, payload?: unknown): Promise<T> =>
    (await handler({ call: { functionKey, payload }, context }, accountId ? { principal: { accountId } } : {})) as T;
}
