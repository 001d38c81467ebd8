// Reads one Confluence page (REST v2, storage format, optionally a given version) with the service
// account, and checks that Confluence answers at all. The page body is validated here, at the edge;
// the rest of the pipeline trusts the returned shape.

import { z } from 'zod';
import { AtlassianError, siteBaseUrl } from './site.ts';
import type { AtlassianSite } from './site.ts';
import { createAtlassianTransport } from './transport.ts';
import type { FetchLike, Sleep, RetryPolicy } from './transport.ts';

export interface ConfluencePage {
  pageId: string;
  title: string;
  version: number;
  /** Storage-format XHTML. */
  storage: string;
  webUrl: string;
}

export interface ConfluenceFetchOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
  /** A previous published version number; default is the current version. */
  version?: number;
  timeoutMs?: number;
  sleep?: Sleep;
  retry?: Partial<RetryPolicy>;
}

const PageResponse = z.object({
  id: z.union([z.string(), z.number()]).transform(String),
  title: z.string(),
  version: z.object({ number: z.number().int() }),
  body: z.object({ storage: z.object({ value: z.string() }) }),
  _links: z.object({ webui: z.string().optional(), base: z.string().optional() }).optional(),
});

export async function fetchConfluencePage(site: AtlassianSite, pageId: string, options: ConfluenceFetchOptions = {}): Promise<ConfluencePage> {
  if (!/^[0-9]{1,20}$/.test(pageId)) {
    throw new AtlassianError('bad_request', `"${pageId}" is not a Confluence page id; it is the number in the page URL after /pages/.`);
  }
  if (options.version !== undefined && (!Number.isInteger(options.version) || options.version < 1)) {
    throw new AtlassianError('bad_request', `Page version must be a positive whole number (got ${options.version}).`);
  }
  const transport = createAtlassianTransport(site, options);
  const operation = `read Confluence page ${pageId}${options.version !== undefined ? ` version ${options.version}` : ''}`;
  const res = await transport.send({
    method: 'GET',
    path: `/wiki/api/v2/pages/${pageId}`,
    query: { 'body-format': 'storage', version: options.version },
    operation,
    signal: options.signal,
  });
  const parsed = PageResponse.safeParse(res.body);
  if (!parsed.success) {
    throw new AtlassianError('server', `Confluence answered with an unexpected page shape while trying to ${operation}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  }
  const p = parsed.data;
  const base = p._links?.base ?? `${siteBaseUrl(site)}/wiki`;
  const webUrl = p._links?.webui ? base + p._links.webui : `${base}/pages/${p.id}`;
  return { pageId: p.id, title: p.title, version: p.version.number, storage: p.body.storage.value, webUrl };
}

export interface HealthResult {
  ok: boolean;
  message: string;
  code?: AtlassianError['code'];
}

/** Whether the credentials can talk to Confluence (one cheap authenticated read). */
export async function checkConfluence(site: AtlassianSite, options: { fetch?: FetchLike; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<HealthResult> {
  const transport = createAtlassianTransport(site, { ...options, retry: { maxAttempts: 1 } });
  try {
    await transport.send({ method: 'GET', path: '/wiki/api/v2/spaces', query: { limit: 1 }, operation: 'list Confluence spaces', signal: options.signal });
    return { ok: true, message: `Confluence at ${new URL(siteBaseUrl(site)).host} accepts the credentials of ${site.email}.` };
  } catch (err) {
    if (err instanceof AtlassianError) return { ok: false, message: err.message, code: err.code };
    throw err;
  }
}
