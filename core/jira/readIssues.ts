// Reads many issues at once: one JQL search per 100 keys (`key in (…)`, POST /rest/api/3/search/jql),
// for the fields asked. Creation reads Jira's `updated` of the issues it just made with it, asking Jira
// to reconcile their ids with its search index (which may not show them yet); re-sync reads the state
// of the issues it compares or edits. What to do with a key no search returned — read it on its own,
// or leave it unknown — is the caller's.

import { AtlassianError } from '../atlassian/site.ts';
import type { JiraClient } from './client.ts';

/** Keys per search (Jira's largest page); of each, Jira reconciles at most 50 ids with its index. */
export const SEARCH_LIMIT = 100;
export const RECONCILE_LIMIT = 50;

/** An issue to read: its key, and its id when it was just created and should be reconciled. */
export interface IssueRef {
  key: string;
  id?: string;
}

export interface ReadIssuesOptions {
  /** Jira field ids to return. */
  fields: readonly string[];
  signal?: AbortSignal;
  /**
   * Reconcile the refs' ids with Jira's search index: the 50 newest of each search, and for any key
   * the searches still left out, one more search per 50, all reconciled (issues just created).
   */
  reconcile?: boolean;
  /**
   * A search Jira refused or could not answer: `throw` (default) stops the read; `collect` notes it in
   * `failed` (how many keys, why) and reads the rest. Errors other than Jira's are always thrown.
   */
  onSearchError?: 'throw' | 'collect';
}

export interface ReadIssuesResult {
  /** The fields Jira returned, by key (keys it did not return are absent). */
  issues: Map<string, Record<string, unknown>>;
  /** Searches that failed (onSearchError `collect`): how many keys each held, and Jira's reason. */
  failed: { count: number; message: string }[];
}

const ISSUE_KEY = /^[A-Z][A-Z0-9_]*-[0-9]+$/;
const idOf = (r: IssueRef) => (r.id && /^[1-9][0-9]*$/.test(r.id) ? Number(r.id) : 0);

export async function readIssues(client: JiraClient, refs: readonly (IssueRef | string)[], o: ReadIssuesOptions): Promise<ReadIssuesResult> {
  const issues = new Map<string, Record<string, unknown>>();
  const failed: ReadIssuesResult['failed'] = [];
  const valid = refs.map((r) => (typeof r === 'string' ? { key: r } : r)).filter((r) => ISSUE_KEY.test(r.key));
  // Oldest first, so each search's newest ids are the ones most likely missing from the index.
  const ordered = o.reconcile ? [...valid].sort((a, b) => idOf(a) - idOf(b)) : valid;

  /** One search of these keys, page by page; false when it failed and was collected. */
  const search = async (chunk: readonly IssueRef[], reconcile: number[]): Promise<boolean> => {
    const keys = new Set(chunk.map((r) => r.key));
    let nextPageToken: string | undefined;
    try {
      do {
        o.signal?.throwIfAborted();
        const res = await client.transport.send({
          method: 'POST',
          path: '/rest/api/3/search/jql',
          body: { jql: `key in (${chunk.map((r) => r.key).join(', ')})`, fields: [...o.fields], maxResults: SEARCH_LIMIT, ...(reconcile.length ? { reconcileIssues: reconcile } : {}), ...(nextPageToken ? { nextPageToken } : {}) },
          operation: `reading ${chunk.length} issue${chunk.length === 1 ? '' : 's'} from Jira`,
        });
        const page = (res.body ?? {}) as { issues?: { key?: string; fields?: Record<string, unknown> }[]; isLast?: boolean; nextPageToken?: string };
        for (const issue of page.issues ?? []) if (issue.key && keys.has(issue.key)) issues.set(issue.key, issue.fields ?? {});
        nextPageToken = page.isLast === false ? page.nextPageToken : undefined;
      } while (nextPageToken);
      return true;
    } catch (err) {
      if (o.onSearchError !== 'collect' || !(err instanceof AtlassianError)) throw err;
      failed.push({ count: chunk.length, message: err.message });
      return false;
    }
  };

  const missed: IssueRef[] = [];
  for (let i = 0; i < ordered.length; i += SEARCH_LIMIT) {
    const chunk = ordered.slice(i, i + SEARCH_LIMIT);
    const ids = o.reconcile ? chunk.map(idOf).filter((n) => n > 0).slice(-RECONCILE_LIMIT) : [];
    if ((await search(chunk, ids)) && o.reconcile) missed.push(...chunk.filter((r) => !issues.has(r.key) && idOf(r) > 0));
  }
  for (let i = 0; i < missed.length; i += RECONCILE_LIMIT) {
    const chunk = missed.slice(i, i + RECONCILE_LIMIT);
    await search(chunk, chunk.map(idOf));
  }
  return { issues, failed };
}
