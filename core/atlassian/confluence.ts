// Reads one Confluence page (REST v2, storage format, optionally a given version) with the service
// account, names the people it mentions (users-bulk lookup, cached), and checks that Confluence
// answers at all. The page body is validated here, at the edge; the rest of the pipeline trusts the
// returned shape.

import { z } from 'zod';
import { AtlassianError, siteBaseUrl } from './site.ts';
import type { AtlassianSite } from './site.ts';
import { createAtlassianTransport } from './transport.ts';
import type { AtlassianTransport, FetchLike, Sleep, RetryPolicy } from './transport.ts';
import { nameMentions, unnamedMentionIds } from '../spec/mentions.ts';

export interface ConfluencePage {
  pageId: string;
  title: string;
  version: number;
  /** Storage-format XHTML, with the display names of mentioned people written into their mentions. */
  storage: string;
  webUrl: string;
  /** Account ids of mentions whose person could not be looked up (they read as "@user"). */
  unresolvedMentions: string[];
}

export interface ConfluenceFetchOptions {
  fetch?: FetchLike;
  signal?: AbortSignal;
  /** A previous published version number; default is the current version. */
  version?: number;
  timeoutMs?: number;
  sleep?: Sleep;
  retry?: Partial<RetryPolicy>;
  /** Where display names of mentioned people are kept between reads; default: one shared per process. */
  userNames?: UserNameCache;
}

/**
 * Display names by site and account id, kept for `ttlMs` (names change rarely; a page read again an
 * hour later looks them up again). Ids the site does not know are remembered too, so a page full of
 * departed users does not cost a lookup per read. Bounded: the oldest entries go first.
 */
export class UserNameCache {
  private readonly entries = new Map<string, { name: string | null; at: number }>();
  constructor(
    private readonly ttlMs = 60 * 60 * 1000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(site: string, accountId: string): string | null | undefined {
    const key = `${site}\u0000${accountId}`;
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() - e.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.name;
  }

  set(site: string, accountId: string, name: string | null): void {
    const key = `${site}\u0000${accountId}`;
    this.entries.delete(key);
    this.entries.set(key, { name, at: this.now() });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

const sharedUserNames = new UserNameCache();
const USERS_PER_LOOKUP = 250; // the users-bulk limit

const UsersResponse = z.object({
  results: z.array(z.object({ accountId: z.string().optional(), displayName: z.string().optional(), publicName: z.string().optional() }).passthrough()),
});

/**
 * Display names for the given account ids (Confluence users-bulk, 250 per request), from the cache
 * where known. A lookup the account may not make (no permission to view profiles) or that fails
 * leaves those ids unnamed instead of failing the page read: a mention is not worth losing the page.
 */
export async function lookupUserNames(
  site: AtlassianSite,
  accountIds: readonly string[],
  options: { transport?: AtlassianTransport; fetch?: FetchLike; signal?: AbortSignal; userNames?: UserNameCache } = {},
): Promise<Map<string, string>> {
  const cache = options.userNames ?? sharedUserNames;
  const siteKey = siteBaseUrl(site);
  const names = new Map<string, string>();
  const missing: string[] = [];
  for (const id of new Set(accountIds)) {
    const known = cache.get(siteKey, id);
    if (typeof known === 'string') names.set(id, known);
    else if (known === undefined) missing.push(id);
  }
  if (missing.length === 0) return names;
  const transport = options.transport ?? createAtlassianTransport(site, { fetch: options.fetch, retry: { maxAttempts: 2 } });
  for (let i = 0; i < missing.length; i += USERS_PER_LOOKUP) {
    const chunk = missing.slice(i, i + USERS_PER_LOOKUP);
    let res;
    try {
      res = await transport.send({ method: 'POST', path: '/wiki/api/v2/users-bulk', body: { accountIds: chunk }, operation: 'look up the people mentioned on the page', signal: options.signal });
    } catch (err) {
      if (options.signal?.aborted) throw err;
      // A refusal (no permission to view profiles) is an answer: ask again when the cache entry expires.
      if (err instanceof AtlassianError && err.status !== undefined && err.status >= 400 && err.status < 500) for (const id of chunk) cache.set(siteKey, id, null);
      continue;
    }
    const parsed = UsersResponse.safeParse(res.body);
    if (!parsed.success) continue;
    for (const u of parsed.data.results) {
      const name = (u.displayName || u.publicName || '').trim();
      if (u.accountId && name) names.set(u.accountId, name);
    }
    for (const id of chunk) cache.set(siteKey, id, names.get(id) ?? null);
  }
  return names;
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
  let storage = p.body.storage.value;
  const mentioned = unnamedMentionIds(storage);
  const names = mentioned.length > 0 ? await lookupUserNames(site, mentioned, { transport, signal: options.signal, userNames: options.userNames }) : new Map<string, string>();
  storage = nameMentions(storage, names);
  return { pageId: p.id, title: p.title, version: p.version.number, storage, webUrl, unresolvedMentions: mentioned.filter((id) => !names.has(id)) };
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
