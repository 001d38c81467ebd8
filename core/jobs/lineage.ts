// Block lineage between two versions of a page: which block of the new version each block of the old
// one became. Block ids come from a block's own content, so an unchanged block keeps its id even when
// it moves; a reworded block gets a new id and is matched here instead — by its requirement id
// (FR-004 stays FR-004), else by how many of its words it kept, its heading path and its place on the
// page. Titles of generated items play no part: the page's own text decides.

import type { SpecBlock, SpecDocument } from '../spec/types.ts';

export const BLOCK_CHANGES = ['unchanged', 'changed', 'moved', 'new', 'removed'] as const;
export type BlockChange = (typeof BLOCK_CHANGES)[number];

export interface WordDiffPart {
  op: 'same' | 'added' | 'removed';
  text: string;
}

export interface BlockLineageEntry {
  status: BlockChange;
  /** The block in the old version (absent for a new block). */
  oldId?: string;
  /** The block in the new version (absent for a removed block). */
  newId?: string;
  oldText?: string;
  newText?: string;
  oldHeadingPath?: string[];
  newHeadingPath?: string[];
  requirementId?: string;
  /** A changed block that also sits under other headings now. */
  moved?: boolean;
  /** How alike the two texts are (0–1), for changed blocks. */
  similarity?: number;
  /** Word by word, old → new, for changed blocks. */
  diff?: WordDiffPart[];
}

export interface BlockLineage {
  /** Old blocks in old page order, then new blocks in new page order. */
  entries: BlockLineageEntry[];
  /** Old block id → the entry saying what became of it. */
  byOld: Map<string, BlockLineageEntry>;
  /** New block id → the entry saying where it came from. */
  byNew: Map<string, BlockLineageEntry>;
  counts: Record<BlockChange, number>;
}

export interface LineageOptions {
  /** Least share of kept words (Dice coefficient) for a reworded block to count as the same block. Default 0.5. */
  minTextSimilarity?: number;
}

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Lower-case words of a text, in order. */
export function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).slice(0, 2000);
}

/** Dice coefficient over word multisets: 1 for the same words, 0 for none in common. */
export function textSimilarity(a: string, b: string): number {
  const wa = wordsOf(a);
  const wb = wordsOf(b);
  if (wa.length === 0 && wb.length === 0) return 1;
  if (wa.length === 0 || wb.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const w of wa) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of wb) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      common++;
      counts.set(w, n - 1);
    }
  }
  return (2 * common) / (wa.length + wb.length);
}

/**
 * A word diff of two texts (longest common subsequence over whitespace-separated tokens, so the
 * parts keep the texts' punctuation): consecutive tokens with the same operation are joined.
 */
export function wordDiff(before: string, after: string): WordDiffPart[] {
  // Bounded: a pathological pair of long texts is shown as replaced rather than diffed.
  const a = before.split(/\s+/).filter(Boolean);
  const b = after.split(/\s+/).filter(Boolean);
  const parts: WordDiffPart[] = [];
  const push = (op: WordDiffPart['op'], text: string) => {
    const last = parts.at(-1);
    if (last && last.op === op) last.text += ` ${text}`;
    else parts.push({ op, text });
  };
  if (a.length * b.length > 1_000_000) {
    if (before) push('removed', a.join(' '));
    if (after) push('added', b.join(' '));
    return parts;
  }
  const norm = (t: string) => t.toLowerCase();
  // lcs[i][j]: length of the LCS of a[i..] and b[j..].
  const lcs: Uint16Array[] = Array.from({ length: a.length + 1 }, () => new Uint16Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = norm(a[i]!) === norm(b[j]!) ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (norm(a[i]!) === norm(b[j]!)) {
      push('same', b[j]!);
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) push('removed', a[i++]!);
    else push('added', b[j++]!);
  }
  while (i < a.length) push('removed', a[i++]!);
  while (j < b.length) push('added', b[j++]!);
  return parts;
}

const samePath = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Blocks worth tracking: prose and requirements, not a status lozenge or an image placeholder. */
const tracked = (b: SpecBlock) => b.kind !== 'status' && b.kind !== 'image' && b.text.trim().length > 0;

/** What became of each block of `before` in `after`. */
export function blockLineage(before: SpecDocument, after: SpecDocument, o: LineageOptions = {}): BlockLineage {
  const minSim = o.minTextSimilarity ?? 0.5;
  const olds = before.blocks.filter(tracked);
  const news = after.blocks.filter(tracked);
  const byOld = new Map<string, BlockLineageEntry>();
  const byNew = new Map<string, BlockLineageEntry>();
  const newById = new Map(news.map((b) => [b.id, b]));
  const link = (x: SpecBlock, y: SpecBlock, status: BlockChange, similarity?: number) => {
    const moved = !samePath(x.headingPath, y.headingPath);
    const entry: BlockLineageEntry = {
      status: status === 'unchanged' && moved ? 'moved' : status,
      oldId: x.id,
      newId: y.id,
      oldText: x.text,
      newText: y.text,
      oldHeadingPath: x.headingPath,
      newHeadingPath: y.headingPath,
      ...(x.requirementId || y.requirementId ? { requirementId: y.requirementId ?? x.requirementId } : {}),
    };
    if (status === 'changed') Object.assign(entry, { moved, similarity: Math.round((similarity ?? textSimilarity(x.text, y.text)) * 100) / 100, diff: wordDiff(x.text, y.text) });
    byOld.set(x.id, entry);
    byNew.set(y.id, entry);
  };

  // 1. The same id is the same content: unchanged, or moved under other headings.
  for (const x of olds) {
    const y = newById.get(x.id);
    if (y && !byNew.has(y.id)) link(x, y, 'unchanged');
  }
  // 2. The same requirement id (once on each side) is the same requirement, reworded.
  const unique = (blocks: SpecBlock[]) => {
    const m = new Map<string, SpecBlock | null>();
    for (const b of blocks) if (b.requirementId) m.set(b.requirementId, m.has(b.requirementId) ? null : b);
    return m;
  };
  const oldReq = unique(olds.filter((b) => !byOld.has(b.id)));
  const newReq = unique(news.filter((b) => !byNew.has(b.id)));
  for (const [req, x] of oldReq) {
    const y = newReq.get(req);
    if (x && y) link(x, y, 'changed');
  }
  // 3. Most of its words, in about the same place: the best pairs first.
  const position = (doc: SpecBlock[], b: SpecBlock) => (doc.length <= 1 ? 0 : doc.indexOf(b) / (doc.length - 1));
  const pairs: { x: SpecBlock; y: SpecBlock; sim: number; score: number }[] = [];
  const restNew = news.filter((b) => !byNew.has(b.id));
  for (const x of olds.filter((b) => !byOld.has(b.id))) {
    for (const y of restNew) {
      // Two different requirement ids are two requirements, however alike their wording.
      if (x.requirementId && y.requirementId && x.requirementId !== y.requirementId) continue;
      if (x.kind !== y.kind) continue;
      const sim = textSimilarity(x.text, y.text);
      if (sim < minSim) continue;
      const score = 0.7 * sim + 0.2 * (samePath(x.headingPath, y.headingPath) ? 1 : 0) + 0.1 * (1 - Math.abs(position(olds, x) - position(news, y)));
      pairs.push({ x, y, sim, score });
    }
  }
  pairs.sort((p, q) => q.score - p.score);
  for (const p of pairs) if (!byOld.has(p.x.id) && !byNew.has(p.y.id)) link(p.x, p.y, 'changed', p.sim);

  const entries: BlockLineageEntry[] = [];
  for (const x of olds) {
    let e = byOld.get(x.id);
    if (!e) {
      e = { status: 'removed', oldId: x.id, oldText: x.text, oldHeadingPath: x.headingPath, ...(x.requirementId ? { requirementId: x.requirementId } : {}) };
      byOld.set(x.id, e);
    }
    entries.push(e);
  }
  for (const y of news) {
    if (byNew.has(y.id)) continue;
    const e: BlockLineageEntry = { status: 'new', newId: y.id, newText: y.text, newHeadingPath: y.headingPath, ...(y.requirementId ? { requirementId: y.requirementId } : {}) };
    byNew.set(y.id, e);
    entries.push(e);
  }
  const counts = Object.fromEntries(BLOCK_CHANGES.map((s) => [s, 0])) as Record<BlockChange, number>;
  for (const e of entries) counts[e.status]++;
  return { entries, byOld, byNew, counts };
}
