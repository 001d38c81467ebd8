// Finds existing issues in the target project that look like an item of the breakdown, so the
// reviewer can link, skip or create anyway. One bounded JQL text search per item on its salient
// title words, scored by word overlap between the title and the issue summary.

import { AtlassianError } from '../atlassian/site.ts';
import type { JiraClient } from './client.ts';
import { jqlString } from './createIssues.ts';

export interface DuplicateCandidate {
  key: string;
  id: string;
  summary: string;
  url: string;
  /** 0..1, Dice coefficient of the salient words of title and summary (page history: also shared sources). */
  score: number;
  /** Where it was found: Jira's search (absent) or an earlier job of the same page ('page-history'). */
  origin?: 'page-history';
  /** Why it is offered, for the reviewer ("Created from this page by job …"). */
  note?: string;
}

export interface ItemDuplicates {
  itemId: string;
  candidates: DuplicateCandidate[];
}

export interface FindDuplicatesOptions {
  /** Candidates kept per item (and the search's maxResults). Default 5. */
  maxResults?: number;
  /** Candidates scoring below this are dropped. Default 0.35. */
  minScore?: number;
  /** Issues with this label are ours (e.g. the job label) and are not duplicates. */
  excludeLabel?: string;
  /** Salient words searched per item. Default 4. */
  maxWords?: number;
  signal?: AbortSignal;
}

const STOPWORDS = new Set(
  'a an and are as at be by can for from has have i in into is it its of on or our so that the their then this to was we when where which while who will with as user customer want able should must shall system allow allows'.split(' '),
);

/** Lower-case content words of a title (letters and digits, stopwords and 1–2 letter words removed). */
export function salientWords(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return [...new Set(words.filter((w) => (w.length > 2 || /\d/.test(w)) && !STOPWORDS.has(w)))];
}

export function similarity(a: string, b: string): number {
  const x = new Set(salientWords(a));
  const y = new Set(salientWords(b));
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return (2 * common) / (x.size + y.size);
}

export async function findDuplicates(
  client: JiraClient,
  projectKey: string,
  items: readonly { id: string; title: string }[],
  options: FindDuplicatesOptions = {},
): Promise<ItemDuplicates[]> {
  if (!/^[A-Z][A-Z0-9_]{0,19}$/.test(projectKey)) throw new AtlassianError('bad_request', `"${projectKey}" is not a Jira project key.`);
  const max = Math.min(Math.max(options.maxResults ?? 5, 1), 50);
  const minScore = options.minScore ?? 0.35;
  const out: ItemDuplicates[] = [];
  for (const item of items) {
    options.signal?.throwIfAborted();
    // Longest words first: they carry the most meaning and match fewest unrelated issues.
    const words = salientWords(item.title)
      .sort((a, b) => b.length - a.length)
      .slice(0, options.maxWords ?? 4);
    if (words.length === 0) {
      out.push({ itemId: item.id, candidates: [] });
      continue;
    }
    const text = words.map((w) => `summary ~ ${jqlString(w)}`).join(' OR ');
    const page = await client.api.issueSearch.searchAndReconsileIssuesUsingJql({
      jql: `project = ${jqlString(projectKey)} AND (${text}) ORDER BY updated DESC`,
      fields: ['summary', 'labels'],
      maxResults: max * 4,
    });
    const candidates: DuplicateCandidate[] = [];
    for (const issue of page.issues ?? []) {
      const fields = (issue.fields ?? {}) as { summary?: unknown; labels?: unknown };
      if (!issue.key || !issue.id || typeof fields.summary !== 'string') continue;
      if (options.excludeLabel && Array.isArray(fields.labels) && fields.labels.includes(options.excludeLabel)) continue;
      const score = Math.round(similarity(item.title, fields.summary) * 100) / 100;
      if (score >= minScore) candidates.push({ key: issue.key, id: issue.id, summary: fields.summary, url: client.browseUrl(issue.key), score });
    }
    candidates.sort((a, b) => b.score - a.score);
    out.push({ itemId: item.id, candidates: candidates.slice(0, max) });
  }
  return out;
}
