// Duplicate and near-duplicate items: exact matches of normalised title and description, and pairs
// whose content words overlap strongly (token Jaccard). Compared within a level: epics with epics,
// stories with stories, sub-tasks only within their own story (the same chore under two stories is
// normal).

import type { Breakdown, WorkItem } from './schema.ts';
import type { Finding } from './findings.ts';

/** Pairs at or above this title+description Jaccard are reported as near-duplicates. */
export const NEAR_DUPLICATE_THRESHOLD = 0.8;
/** Titles this similar are near-duplicates even when the descriptions differ. */
export const TITLE_DUPLICATE_THRESHOLD = 0.9;

// Words that carry no meaning for "is this the same work": articles, modals, the usual subject.
const STOP_WORDS = new Set(
  (
    'a an the and or of to in on for with by from at as is are be been it its this that these those ' +
    'must shall should will would could can may might need needs have has system user users i we want so ' +
    'able der die das und oder ein eine muss soll le la les des un une et ou doit el los las y o debe'
  ).split(' '),
);

export function contentTokens(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.toLowerCase().normalize('NFKC').split(/[^\p{L}\p{N}]+/u)) {
    if (raw.length === 0 || STOP_WORDS.has(raw)) continue;
    // Light stemming so "export"/"exports"/"exported" meet.
    out.add(raw.length > 4 ? raw.replace(/(ing|ed|es|s)$/u, '') : raw);
  }
  return out;
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let inter = 0;
  for (const t of small) if (large.has(t)) inter++;
  return inter / (a.size + b.size - inter);
}

interface Prepared {
  item: WorkItem;
  exactKey: string;
  title: Set<string>;
  all: Set<string>;
}

const normalise = (s: string): string => s.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

function prepare(item: WorkItem): Prepared {
  return {
    item,
    exactKey: `${normalise(item.title)}\u0000${normalise(item.description)}`,
    title: contentTokens(item.title),
    all: contentTokens(`${item.title} ${item.description} ${item.acceptanceCriteria.join(' ')}`),
  };
}

/**
 * Tokens of `set` that any set with Jaccard ≥ t must share with it: the first |x| − ⌈t·|x|⌉ + 1
 * tokens in a global order, rarest first (the prefix filter of all-pairs similarity search).
 */
function prefix(set: Set<string>, t: number, rank: Map<string, number>): string[] {
  const sorted = [...set].sort((a, b) => rank.get(a)! - rank.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
  return sorted.slice(0, sorted.length - Math.ceil(t * sorted.length) + 1);
}

/** Earlier items that could reach either threshold with item j, in index order. */
function candidateFinder(prepared: Prepared[]): (j: number) => number[] {
  const freq = new Map<string, number>();
  for (const p of prepared) for (const tok of p.all) freq.set(tok, (freq.get(tok) ?? 0) + 1);
  for (const p of prepared) for (const tok of p.title) if (!freq.has(tok)) freq.set(tok, 0);
  const rank = new Map([...freq.entries()].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).map(([tok], i) => [tok, i]));
  const titlePrefixes = prepared.map((p) => prefix(p.title, TITLE_DUPLICATE_THRESHOLD, rank));
  const allPrefixes = prepared.map((p) => prefix(p.all, NEAR_DUPLICATE_THRESHOLD, rank));
  const titleIndex = new Map<string, number[]>();
  const allIndex = new Map<string, number[]>();
  const exactIndex = new Map<string, number>();
  const emptyAll: number[] = [];
  let indexed = 0;
  const add = (i: number): void => {
    for (const tok of titlePrefixes[i]!) (titleIndex.get(tok) ?? titleIndex.set(tok, []).get(tok)!).push(i);
    for (const tok of allPrefixes[i]!) (allIndex.get(tok) ?? allIndex.set(tok, []).get(tok)!).push(i);
    if (!exactIndex.has(prepared[i]!.exactKey)) exactIndex.set(prepared[i]!.exactKey, i);
    if (prepared[i]!.all.size === 0) emptyAll.push(i);
  };
  return (j) => {
    while (indexed < j) add(indexed++);
    const found = new Set<number>();
    const exact = exactIndex.get(prepared[j]!.exactKey);
    if (exact !== undefined) found.add(exact);
    for (const tok of titlePrefixes[j]!) for (const i of titleIndex.get(tok) ?? []) found.add(i);
    for (const tok of allPrefixes[j]!) for (const i of allIndex.get(tok) ?? []) found.add(i);
    if (prepared[j]!.all.size === 0) for (const i of emptyAll) found.add(i);
    return [...found].sort((a, b) => a - b);
  };
}

// Each item is reported at most once, against its closest earlier match, so a family of similar
// items gives one finding per item rather than one per pair.
function comparePairs(items: WorkItem[], kind: string, out: Finding[]): void {
  const prepared = items.map(prepare);
  const candidates = candidateFinder(prepared);
  for (let j = 1; j < prepared.length; j++) {
    const b = prepared[j]!;
    let best: { a: Prepared; exact: boolean; titleScore: number; allScore: number } | undefined;
    for (const i of candidates(j)) {
      const a = prepared[i]!;
      if (a.exactKey === b.exactKey) {
        best = { a, exact: true, titleScore: 1, allScore: 1 };
        break;
      }
      const titleScore = a.title.size > 0 && b.title.size > 0 ? jaccard(a.title, b.title) : 0;
      const allScore = jaccard(a.all, b.all);
      const hit = titleScore >= TITLE_DUPLICATE_THRESHOLD || allScore >= NEAR_DUPLICATE_THRESHOLD;
      if (hit && (!best || Math.max(titleScore, allScore) > Math.max(best.titleScore, best.allScore))) {
        best = { a, exact: false, titleScore, allScore };
      }
    }
    if (!best) continue;
    if (best.exact) {
      out.push({
        severity: 'warning',
        code: 'duplicate-exact',
        itemId: b.item.id,
        message: `${kind} ${b.item.id} repeats ${best.a.item.id} word for word (same title and description). Delete one or merge them.`,
      });
      continue;
    }
    const why =
      best.titleScore >= TITLE_DUPLICATE_THRESHOLD
        ? `their titles share ${Math.round(best.titleScore * 100)}% of their content words`
        : `their titles, descriptions and criteria share ${Math.round(best.allScore * 100)}% of their content words`;
    out.push({
      severity: 'warning',
      code: 'duplicate-near',
      itemId: b.item.id,
      message: `${kind} ${b.item.id} looks like a near-duplicate of ${best.a.item.id}: ${why}. Merge them or make the difference explicit.`,
    });
  }
}

export function findDuplicateItems(breakdown: Breakdown): Finding[] {
  const out: Finding[] = [];
  comparePairs(breakdown.epics, 'Epic', out);
  comparePairs(
    breakdown.epics.flatMap((e) => e.stories),
    'Story',
    out,
  );
  for (const e of breakdown.epics) for (const s of e.stories) comparePairs(s.subtasks, 'Sub-task', out);
  return out;
}
