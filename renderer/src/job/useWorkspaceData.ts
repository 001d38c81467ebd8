// What the review workspace derives from the job and the draft: the page's blocks by id and as cite
// options, which items cite which blocks, the selection's highlighted blocks, findings per item, the
// fields the API refused, items with unsaved edits and the tree's marks. Everything is memoised by
// what it reads, and by content where identity changes on every keystroke, so typing in a title
// recomputes only what the title touches (the tree and the page view keep their props).

import { useMemo, useRef, type ReactNode } from 'react';
import { createElement } from 'react';
import type { Breakdown, WorkItem } from '../../../core/breakdown/schema.ts';
import type { Finding } from '../../../core/breakdown/findings.ts';
import type { SpecBlock, SpecDocument } from '../../../core/spec/types.ts';
import type { TreeMarks } from './BreakdownTree.tsx';
import { citationsByBlock, fieldErrorsByItem, locate } from './breakdownEdit.ts';
import { duplicatesOf, reportOf } from './JobPanels.tsx';
import type { JobViewState } from './jobReducer.ts';

/** Items of the draft that differ from the saved version (same object: unchanged, thanks to structural sharing). */
export function unsavedItems(saved: Breakdown | null, draft: Breakdown | null): Set<string> {
  const out = new Set<string>();
  if (!draft || !saved || saved === draft) return out;
  const before = new Map<string, WorkItem>();
  const own = (x: WorkItem) => JSON.stringify({ ...x, stories: undefined, subtasks: undefined });
  const walk = (b: Breakdown, fn: (x: WorkItem, parent: string) => void) => {
    for (const e of b.epics) {
      fn(e, '');
      for (const s of e.stories) {
        fn(s, e.id);
        for (const t of s.subtasks) fn(t, s.id);
      }
    }
  };
  const parentBefore = new Map<string, string>();
  walk(saved, (x, parent) => {
    before.set(x.id, x);
    parentBefore.set(x.id, parent);
  });
  walk(draft, (x, parent) => {
    const old = before.get(x.id);
    if (old === x) return;
    if (!old || parentBefore.get(x.id) !== parent || own(old) !== own(x)) out.add(x.id);
  });
  return out;
}

/** A value recomputed only when `key` changes (a content key where identity changes too often). */
function useKeyed<T>(key: string, compute: () => T): T {
  const cache = useRef<{ key: string; value: T } | null>(null);
  if (!cache.current || cache.current.key !== key) cache.current = { key, value: compute() };
  return cache.current.value;
}

/** Every item's id and cited blocks in one string: it changes only when some item's sources do. */
function citationKey(draft: Breakdown | null): string {
  if (!draft) return '';
  const parts: string[] = [];
  for (const e of draft.epics) {
    parts.push(e.id, e.sources.join(','));
    for (const s of e.stories) {
      parts.push(s.id, s.sources.join(','));
      for (const t of s.subtasks) parts.push(t.id, t.sources.join(','));
    }
  }
  return parts.join('|');
}

export function useWorkspaceData(state: JobViewState, page: SpecDocument | null) {
  const { detail, draft, selected } = state;
  const blocks = useMemo(() => new Map<string, SpecBlock>(page?.blocks.map((b) => [b.id, b]) ?? []), [page]);
  const blockOptions: ReactNode = useMemo(
    () =>
      page?.blocks
        .filter((b) => b.kind !== 'image')
        .map((b) => createElement('option', { key: b.id, value: b.id }, `${b.tags.length ? '● ' : ''}${b.text.length > 90 ? `${b.text.slice(0, 89)}…` : b.text}`)) ?? null,
    [page],
  );
  const citeKey = useMemo(() => citationKey(draft), [draft]);
  const citations = useKeyed(citeKey, () => (draft ? citationsByBlock(draft) : new Map<string, string[]>()));
  const selItem = selected && draft ? locate(draft, selected) : undefined;
  const selSources = selItem?.item.sources;
  const highlighted = useMemo(() => new Set(selSources ?? []), [selSources]);

  const reportInfo = useMemo(() => (detail ? reportOf(detail) : { report: null, error: null }), [detail]);
  const findingsByItem = useMemo(() => {
    const m = new Map<string, Finding[]>();
    for (const f of reportInfo.report?.findings ?? []) if (f.itemId) m.set(f.itemId, [...(m.get(f.itemId) ?? []), f]);
    return m;
  }, [reportInfo]);
  const invalid = useMemo(() => (draft && state.saveError ? fieldErrorsByItem(draft, state.saveError.fields) : new Map<string, Set<string>>()), [draft, state.saveError]);
  const unsaved = useMemo(() => unsavedItems(state.saved, draft), [state.saved, draft]);
  // Keyed by the set's contents, so typing in an already unsaved item keeps the marks object (and the tree) as is.
  const stableUnsaved = useKeyed([...unsaved].join(','), () => unsaved);
  const invalidIds = useMemo(() => new Set(invalid.keys()), [invalid]);
  const marks: TreeMarks = useMemo(() => {
    const changed = new Set<string>(detail?.breakdown.diff?.marked ?? []);
    const errors = new Set<string>();
    const warnings = new Set<string>();
    for (const [id, fs] of findingsByItem) {
      if (fs.some((f) => f.severity === 'error')) errors.add(id);
      else if (fs.some((f) => f.severity === 'warning')) warnings.add(id);
    }
    const existing = new Map((detail?.duplicates.decisions ?? []).filter((d) => d.decision === 'skip').map((d) => [d.itemId, d.issueKey]));
    return { changed, errors, warnings, invalid: invalidIds, existing, unsaved: stableUnsaved };
  }, [detail, findingsByItem, invalidIds, stableUnsaved]);
  const duplicates = useMemo(() => (detail ? duplicatesOf(detail) : []), [detail]);

  return { blocks, blockOptions, citations, selItem, highlighted, findingsByItem, invalid, unsaved, marks, duplicates };
}

export type WorkspaceData = ReturnType<typeof useWorkspaceData>;
