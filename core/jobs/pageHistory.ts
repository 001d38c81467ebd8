// What this page already put into Jira: the issues earlier jobs of the same page created, matched
// to the items of a new breakdown. A changed page keeps the ids of its unchanged blocks, so an item
// citing the blocks an earlier item cited is offered to the reviewer as "already in Jira" even when
// the model words its title differently, and even before Jira's search index lists the issue.
// Read from the local store only: no Jira request, so it works when Jira search is down.

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
}

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
    const snapshot = await store.latestSnapshot(earlier.id);
    const version = snapshot ? `page version ${snapshot.version}` : 'an earlier page version';
    const note = `Created from this page by job ${earlier.id.slice(0, 8)} (${version}, ${earlier.updatedAt.slice(0, 10)})`;
    for (const issue of created) {
      const from = items.get(issue.itemId);
      if (!from) continue;
      out.push({ key: issue.key, id: issue.id, url: issue.url, title: from.item.title, level: from.level, sources: new Set(from.item.sources), note });
    }
  }
  return out;
}

/**
 * For each item of `breakdown`, the issues earlier jobs of the same page created from an item of the
 * same level that cites the same blocks or carries a similar title; best first.
 */
export async function earlierIssuesOfPage(store: JobStore, job: JobRecord, breakdown: Breakdown, o: PageHistoryOptions = {}): Promise<ItemDuplicates[]> {
  const minScore = o.minScore ?? 0.5;
  const maxPerItem = o.maxPerItem ?? 5;
  const earlier = await earlierIssues(store, job);
  if (earlier.length === 0) return [];
  const result: ItemDuplicates[] = [];
  for (const { level, item } of flattenBreakdown(breakdown)) {
    const sources = new Set(item.sources);
    const candidates: DuplicateCandidate[] = [];
    for (const e of earlier) {
      if (e.level !== level) continue;
      const score = Math.round(Math.max(jaccard(sources, e.sources), similarity(item.title, e.title)) * 100) / 100;
      if (score >= minScore) candidates.push({ key: e.key, id: e.id, summary: e.title, url: e.url, score, origin: 'page-history', note: e.note });
    }
    candidates.sort((a, b) => b.score - a.score || a.key.localeCompare(b.key));
    if (candidates.length > 0) result.push({ itemId: item.id, candidates: candidates.slice(0, maxPerItem) });
  }
  return result;
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
