// What this page already put into Jira: the issues earlier jobs of the same page created, matched
// to the items of a new breakdown. A changed page keeps the ids of its unchanged blocks, so an item
// citing the blocks an earlier item cited is offered to the reviewer as "already in Jira" even when
// the model words its title differently, and even before Jira's search index lists the issue.
// Read from the local store only: no Jira request, so it works when Jira search is down. An item
// citing exactly the blocks an earlier item cited is the same, unchanged requirement; an earlier
// issue none of whose blocks are on the page any more is reported as no longer on the page.

import { flattenBreakdown, parseBreakdown, type Breakdown } from '../breakdown/schema.ts';
import { similarity, type DuplicateCandidate, type ItemDuplicates } from '../jira/findDuplicates.ts';
import type { JobRecord, JobStore } from '../store/types.ts';

export interface PageHistoryOptions {
  /** Matches scoring below this are not offered. Default 0.5. */
  minScore?: number;
  /** Candidates kept per item. Default 5. */
  maxPerItem?: number;
}

interface EarlierIssue {
  key: string;
  id: string;
  url: string;
  title: string;
  level: string;
  sources: ReadonlySet<string>;
  note: string;
  /** The Jira project the earlier job created in (null: the backend's setting at the time). */
  projectKey: string | null;
  /** The issue created for the earlier item's parent, if any. */
  parentKey: string | undefined;
}

/** An issue an earlier job created from blocks the page no longer has (removed or reworded since). */
export interface IssueNoLongerOnPage {
  key: string;
  url: string;
  title: string;
  level: string;
  note: string;
}

export interface PageHistory {
  /** Per item of the new breakdown, the earlier issues that look like it, best first. */
  candidates: ItemDuplicates[];
  /**
   * Items citing exactly the blocks an earlier item of the same level cited, in the same project:
   * the requirement is unchanged and already in Jira (item id → issue key).
   */
  unchanged: Map<string, string>;
  /** Earlier issues none of whose blocks are on the page any more. */
  noLongerOnPage: IssueNoLongerOnPage[];
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size > 0 && a.size === b.size && [...a].every((x) => b.has(x));

const jaccard = (a: ReadonlySet<string>, b: ReadonlySet<string>): number => {
  if (a.size === 0 || b.size === 0) return 0;
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  return common / (a.size + b.size - common);
};

/** Issues created by earlier jobs of this job's page (same site), with the item each came from. */
async function earlierIssues(store: JobStore, job: JobRecord): Promise<EarlierIssue[]> {
  const out: EarlierIssue[] = [];
  for (const earlier of await store.listJobs({ pageId: job.pageId })) {
    if (earlier.id === job.id || earlier.siteUrl !== job.siteUrl) continue;
    const created = await store.createdIssues(earlier.id);
    if (created.length === 0) continue;
    // The version creation used is the newest one; retention may have removed it, and then the
    // issues cannot be matched by content (Jira's own search still finds them by title).
    const latest = await store.latestBreakdown(earlier.id);
    if (!latest?.body) continue;
    let items;
    try {
      items = new Map(flattenBreakdown(parseBreakdown(latest.body)).map((x) => [x.item.id, x]));
    } catch {
      continue;
    }
    const snapshotVersion = await store.latestSnapshotVersion(earlier.id);
    const version = snapshotVersion !== undefined ? `page version ${snapshotVersion}` : 'an earlier page version';
    const note = `Created from this page by job ${earlier.id.slice(0, 8)} (${version}, ${earlier.updatedAt.slice(0, 10)})`;
    const keyOfItem = new Map(created.map((c) => [c.itemId, c.key]));
    for (const issue of created) {
      const from = items.get(issue.itemId);
      if (!from) continue;
      const parentKey = from.parentId ? keyOfItem.get(from.parentId) : undefined;
      out.push({ key: issue.key, id: issue.id, url: issue.url, title: from.item.title, level: from.level, sources: new Set(from.item.sources), note, projectKey: earlier.projectKey, parentKey });
    }
  }
  return out;
}

/**
 * What the page already put into Jira, against a new breakdown of it: for each item the issues
 * earlier jobs created from an item of the same level that cites the same blocks or carries a
 * similar title (best first); the items whose requirement is unchanged; and the earlier issues
 * whose blocks are gone from the page (`pageBlockIds`: the ids of the page as it is now; null when
 * unknown).
 */
export async function earlierIssuesOfPage(store: JobStore, job: JobRecord, breakdown: Breakdown, pageBlockIds: ReadonlySet<string> | null, o: PageHistoryOptions = {}): Promise<PageHistory> {
  const minScore = o.minScore ?? 0.5;
  const maxPerItem = o.maxPerItem ?? 5;
  const earlier = await earlierIssues(store, job);
  const history: PageHistory = { candidates: [], unchanged: new Map(), noLongerOnPage: [] };
  if (earlier.length === 0) return history;
  const flat = flattenBreakdown(breakdown);
  for (const { level, item } of flat) {
    const sources = new Set(item.sources);
    const candidates: DuplicateCandidate[] = [];
    for (const e of earlier) {
      if (e.level !== level) continue;
      const score = Math.round(Math.max(jaccard(sources, e.sources), similarity(item.title, e.title)) * 100) / 100;
      if (score >= minScore) candidates.push({ key: e.key, id: e.id, summary: e.title, url: e.url, score, origin: 'page-history', note: e.note });
      if (!history.unchanged.has(item.id) && e.projectKey === job.projectKey && sameSet(sources, e.sources)) history.unchanged.set(item.id, e.key);
    }
    candidates.sort((a, b) => b.score - a.score || a.key.localeCompare(b.key));
    if (candidates.length > 0) history.candidates.push({ itemId: item.id, candidates: candidates.slice(0, maxPerItem) });
  }
  // A parent that cites no blocks of its own (an epic from a heading) is unchanged when its unchanged
  // children all sat under one earlier issue: a new story then joins that epic instead of a copy.
  const byKey = new Map(earlier.map((e) => [e.key, e]));
  const childrenOf = new Map<string, string[]>();
  for (const x of flat) if (x.parentId) childrenOf.set(x.parentId, [...(childrenOf.get(x.parentId) ?? []), x.item.id]);
  for (const level of ['story', 'epic'] as const) {
    for (const { item } of flat.filter((x) => x.level === level && x.item.sources.length === 0 && !history.unchanged.has(x.item.id))) {
      const matched = (childrenOf.get(item.id) ?? []).map((id) => history.unchanged.get(id)).filter((k): k is string => k !== undefined);
      const parents = new Set(matched.map((k) => byKey.get(k)?.parentKey));
      const [only] = parents;
      if (parents.size === 1 && only && byKey.get(only)?.level === level) history.unchanged.set(item.id, only);
    }
  }
  // Without the page as it is now (its content purged), nothing can be said to have left it.
  if (!pageBlockIds) return history;
  const seen = new Set<string>();
  for (const e of earlier) {
    if (seen.has(e.key) || e.sources.size === 0 || [...e.sources].some((id) => pageBlockIds.has(id))) continue;
    seen.add(e.key);
    history.noLongerOnPage.push({ key: e.key, url: e.url, title: e.title, level: e.level, note: e.note });
  }
  return history;
}

/**
 * One list per item from several sources: an issue found twice keeps the higher score and the
 * page-history note (it says where the issue came from); best first.
 */
export function mergeDuplicates(...lists: readonly ItemDuplicates[][]): ItemDuplicates[] {
  const byItem = new Map<string, Map<string, DuplicateCandidate>>();
  for (const list of lists) {
    for (const { itemId, candidates } of list) {
      const forItem = byItem.get(itemId) ?? new Map<string, DuplicateCandidate>();
      byItem.set(itemId, forItem);
      for (const c of candidates) {
        const had = forItem.get(c.key);
        if (!had) forItem.set(c.key, c);
        else forItem.set(c.key, { ...had, ...c, score: Math.max(had.score, c.score), origin: had.origin ?? c.origin, note: had.note ?? c.note });
      }
    }
  }
  return [...byItem].map(([itemId, m]) => ({ itemId, candidates: [...m.values()].sort((a, b) => b.score - a.score || a.key.localeCompare(b.key)) }));
}
