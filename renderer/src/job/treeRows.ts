// The breakdown tree's rows: every item with its level, depth and parent, the marks the tree shows
// (findings, changed, invalid, already in Jira, unsaved), the filters, and which rows are visible for
// a filter, a search and the collapsed items (matches keep their ancestors for context).

import type { Breakdown, ItemLevel, WorkItem } from '../../../core/breakdown/schema.ts';

export interface TreeMarks {
  /** Item ids with error / warning findings. */
  errors: ReadonlySet<string>;
  warnings: ReadonlySet<string>;
  /** Items added or changed against the generated version (saved or unsaved). */
  changed: ReadonlySet<string>;
  /** Items the API named in a refused save. */
  invalid: ReadonlySet<string>;
  /** Items an existing Jira issue stands for (skip decisions): item id → issue key. */
  existing?: ReadonlyMap<string, string>;
  /** Items whose draft differs from the saved version. */
  unsaved?: ReadonlySet<string>;
}

export const TREE_FILTERS = {
  all: 'All items',
  epic: 'Epics',
  story: 'Stories',
  subtask: 'Sub-tasks',
  findings: 'With findings',
  uncited: 'Citing no page block',
  drafted: 'Drafted without a model',
  existing: 'Already in Jira',
  unsaved: 'Unsaved changes',
} as const;
export type TreeFilter = keyof typeof TREE_FILTERS;


export interface Row {
  item: WorkItem;
  level: ItemLevel;
  depth: number;
  parentId: string | null;
  childCount: number;
}

function allRows(b: Breakdown): Row[] {
  const rows: Row[] = [];
  for (const e of b.epics) {
    rows.push({ item: e, level: 'epic', depth: 0, parentId: null, childCount: e.stories.length });
    for (const s of e.stories) {
      rows.push({ item: s, level: 'story', depth: 1, parentId: e.id, childCount: s.subtasks.length });
      for (const t of s.subtasks) rows.push({ item: t, level: 'subtask', depth: 2, parentId: s.id, childCount: 0 });
    }
  }
  return rows;
}

function matches(r: Row, filter: TreeFilter, q: string, marks: TreeMarks): boolean {
  if (q && !`${r.item.id} ${r.item.title}`.toLowerCase().includes(q)) return false;
  switch (filter) {
    case 'all':
      return true;
    case 'epic':
    case 'story':
    case 'subtask':
      return r.level === filter;
    case 'findings':
      return marks.errors.has(r.item.id) || marks.warnings.has(r.item.id);
    case 'uncited':
      return r.item.sources.length === 0;
    case 'drafted':
      return r.item.origin === 'drafter';
    case 'existing':
      return !!marks.existing?.has(r.item.id);
    case 'unsaved':
      return !!marks.unsaved?.has(r.item.id);
    default:
      void (filter satisfies never);
      return true;
  }
}

/** The rows to show: matching rows and their ancestors, minus the insides of collapsed items. */
export function visibleRows(b: Breakdown, collapsed: ReadonlySet<string>, filter: TreeFilter, query: string, marks: TreeMarks): Row[] {
  const rows = allRows(b);
  const q = query.trim().toLowerCase();
  let keep: Set<string> | null = null;
  if (filter !== 'all' || q) {
    keep = new Set();
    const parentOf = new Map(rows.map((r) => [r.item.id, r.parentId]));
    for (const r of rows) {
      if (!matches(r, filter, q, marks)) continue;
      for (let id: string | null = r.item.id; id && !keep.has(id); id = parentOf.get(id) ?? null) keep.add(id);
    }
  }
  const out: Row[] = [];
  let hiddenUnder: string | null = null;
  let hiddenDepth = -1;
  for (const r of rows) {
    if (hiddenUnder !== null && r.depth > hiddenDepth) continue;
    hiddenUnder = null;
    if (keep && !keep.has(r.item.id)) continue;
    out.push(r);
    if (collapsed.has(r.item.id) && r.childCount > 0) {
      hiddenUnder = r.item.id;
      hiddenDepth = r.depth;
    }
  }
  return out;
}
