// A jira.js Cloud client whose transport is ours (core/atlassian/transport.ts): one place for auth,
// timeouts, cancellation, 429/5xx policy and request counting, while jira.js supplies the typed
// endpoints. Response bodies are checked against jira.js's schemas; a mismatch is tolerated (Jira
// adds fields often) because the callers validate the few fields they use.

import { createCloudClient } from 'jira.js';
import type { Client } from 'jira.js/core';
import { AtlassianError, siteBaseUrl } from '../atlassian/site.ts';
import type { AtlassianSite } from '../atlassian/site.ts';
import { createAtlassianTransport } from '../atlassian/transport.ts';
import type { AtlassianRequest, AtlassianTransport, FetchLike, TransportOptions } from '../atlassian/transport.ts';
import type { HealthResult } from '../atlassian/confluence.ts';

export type JiraApi = ReturnType<typeof createCloudClient>;

export interface JiraClient {
  site: AtlassianSite;
  /** The site URL without trailing slash, for building browse links. */
  baseUrl: string;
  api: JiraApi;
  transport: AtlassianTransport;
  /** HTTP requests sent so far through this client (retries included). */
  requestCount(): number;
  /** Browse URL of an issue key. */
  browseUrl(key: string): string;
}

export type JiraClientOptions = TransportOptions;

type SendRequestOptions = Parameters<Client['sendRequest']>[0];

/** What a jira.js endpoint is for, in words, from its method and URL. */
function describe(method: string, url: string): string {
  return `${method} ${url.replace(/\?.*$/, '')} on Jira`;
}

export function createJiraClient(site: AtlassianSite, options: JiraClientOptions = {}): JiraClient {
  const transport = createAtlassianTransport(site, options);
  const adapter: Client = {
    async sendRequest<T>(req: SendRequestOptions & { schema?: { safeParse(v: unknown): { success: boolean; data?: unknown } } }): Promise<T> {
      const method = (req.method ?? 'GET') as AtlassianRequest['method'];
      const query: AtlassianRequest['query'] = {};
      for (const [k, v] of Object.entries(req.searchParams ?? {})) {
        if (v === undefined || v === null) continue;
        if (Array.isArray(v)) query[k] = v.map((x) => (typeof x === 'number' ? x : String(x)));
        else if (typeof v === 'object') query[k] = JSON.stringify(v);
        else query[k] = v as string | number | boolean;
      }
      const res = await transport.send({
        method,
        path: req.url,
        query,
        body: req.body ?? undefined,
        operation: describe(method, req.url),
      });
      if (res.status === 204 || res.body === undefined) return undefined as T;
      if (req.schema) {
        const parsed = req.schema.safeParse(res.body);
        if (parsed.success) return parsed.data as T;
      }
      return res.body as T;
    },
  } as Client;
  const baseUrl = siteBaseUrl(site);
  return {
    site,
    baseUrl,
    api: createCloudClient(adapter),
    transport,
    requestCount: () => transport.requestCount(),
    browseUrl: (key) => `${baseUrl}/browse/${encodeURIComponent(key)}`,
  };
}

/** Whether the credentials can talk to Jira: who am I, on which Jira. */
export async function checkJira(site: AtlassianSite, options: { fetch?: FetchLike; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<HealthResult & { accountId?: string; displayName?: string }> {
  const client = createJiraClient(site, { ...options, retry: { maxAttempts: 1 } });
  try {
    const me = await client.api.myself.getCurrentUser();
    const info = await client.api.serverInfo.getServerInfo();
    return {
      ok: true,
      message: `Jira ${info.deploymentType ?? ''} ${info.version ?? ''} at ${new URL(client.baseUrl).host} accepts ${me.displayName ?? site.email}.`.replace(/\s+/g, ' '),
      accountId: me.accountId,
      displayName: me.displayName,
    };
  } catch (err) {
    if (err instanceof AtlassianError) return { ok: false, message: err.message, code: err.code };
    throw err;
  }
}
