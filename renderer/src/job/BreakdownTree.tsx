// The breakdown as a tree (epics → stories → sub-tasks) that stays fast at 1,000 items: only the rows
// in view are rendered (fixed row height), rows are memoised so an edit re-renders the one row it
// changed, and epics and stories collapse. Filters (level, findings, citing nothing, drafted, already
// in Jira, unsaved) and a search narrow it, keeping the ancestors of what matches for context. It is a
// keyboard tree: arrows move, Left/Right collapse and expand, Home/End jump, Enter opens the item in
// the editor, Delete asks to delete it. Rows are marked: drafted, added by reviewer, already in Jira,
// edited, unsaved, error, warning.

import { memo, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Breakdown, WorkItem } from '../../../core/breakdown/schema.ts';
import { TREE_FILTERS, visibleRows, type TreeFilter, type TreeMarks } from './treeRows.ts';

export { TREE_FILTERS, visibleRows, type TreeFilter, type TreeMarks };

const ROW_HEIGHT = 30;
const OVERSCAN = 12;
const VIEW_HEIGHT = 560;

interface RowProps {
  depth: number;
  childCount: number;
  item: WorkItem;
  top: number;
  selected: boolean;
  expanded: boolean | undefined;
  /** Marks as one string, so a row re-renders only when its own marks change. */
  flags: string;
  existingKey: string | undefined;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
}

const TreeRow = memo(function TreeRow({ depth, childCount, item, top, selected, expanded, flags, existingKey, onSelect, onToggle }: RowProps) {
  const has = (f: string) => flags.includes(`|${f}|`);
  const cls = ['tree-item', selected ? 'selected' : '', has('invalid') ? 'invalid' : '', has('unsaved') ? 'unsaved' : ''].filter(Boolean).join(' ');
  return (
    <div
      id={`tree-row-${item.id}`}
      role="treeitem"
      aria-level={depth + 1}
      aria-selected={selected}
      aria-expanded={expanded}
      className={cls}
      style={{ top, height: ROW_HEIGHT, paddingLeft: `${0.3 + depth * 1.2}rem` }}
      data-item-id={item.id}
      onClick={() => onSelect(item.id)}
    >
      {childCount > 0 ? (
        <span
          className="twisty"
          aria-hidden="true"
          onClick={(e) => {
            e.stopPropagation();
            onToggle(item.id);
          }}
        >
          {expanded ? '▾' : '▸'}
        </span>
      ) : (
        <span className="twisty" aria-hidden="true" />
      )}
      <span className="item-id">{item.id}</span>
      <span className="item-title">{item.title || <em className="muted">(no title)</em>}</span>
      {has('unsaved') && (
        <span className="flag flag-unsaved" title="Changed since the last save">
          unsaved
        </span>
      )}
      {item.origin === 'drafter' && (
        <span className="flag flag-drafter" title="Drafted without a model from the page structure: check it carefully">
          drafted
        </span>
      )}
      {item.origin === 'human' && <span className="flag flag-human">added by reviewer</span>}
      {existingKey && (
        <span className="flag flag-warning" title={`Not created: ${existingKey} already stands for it`}>
          already {existingKey}
        </span>
      )}
      {has('changed') && <span className="flag flag-changed">edited</span>}
      {has('error') && <span className="flag flag-error">error</span>}
      {!has('error') && has('warning') && <span className="flag flag-warning">warning</span>}
    </div>
  );
});

function flagsOf(id: string, m: TreeMarks): string {
  let s = '|';
  if (m.invalid.has(id)) s += 'invalid|';
  if (m.unsaved?.has(id)) s += 'unsaved|';
  if (m.changed.has(id)) s += 'changed|';
  if (m.errors.has(id)) s += 'error|';
  if (m.warnings.has(id)) s += 'warning|';
  return s;
}

export interface BreakdownTreeProps {
  breakdown: Breakdown;
  selected: string | null;
  onSelect: (id: string) => void;
  marks: TreeMarks;
  /** Enter on a row: open it in the editor. */
  onOpen?: (id: string) => void;
  /** Delete on a row: ask, then delete (the caller asks). */
  onDelete?: (id: string) => void;
}

export const BreakdownTree = memo(function BreakdownTree({ breakdown, selected, onSelect, marks, onOpen, onDelete }: BreakdownTreeProps) {
  const [collapsed, setCollapsed] = useState<ReadonlySet<string>>(new Set());
  const [filter, setFilter] = useState<TreeFilter>('all');
  const [query, setQuery] = useState('');
  const [scrollTop, setScrollTop] = useState(0);
  const box = useRef<HTMLDivElement>(null);

  const rows = useMemo(() => visibleRows(breakdown, collapsed, filter, query, marks), [breakdown, collapsed, filter, query, marks]);
  const index = selected ? rows.findIndex((r) => r.item.id === selected) : -1;

  const toggle = useMemo(
    () => (id: string) =>
      setCollapsed((c) => {
        const next = new Set(c);
        if (!next.delete(id)) next.add(id);
        return next;
      }),
    [],
  );

  // Keep the selected row in view (selection may come from the page view, a finding or the keyboard).
  useEffect(() => {
    const el = box.current;
    if (!el || index < 0) return;
    const top = index * ROW_HEIGHT;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  }, [index]);

  if (breakdown.epics.length === 0) return <p className="empty">The breakdown has no items yet. Add an epic to start.</p>;

  const height = Math.min(VIEW_HEIGHT, Math.max(rows.length, 1) * ROW_HEIGHT);
  const from = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const to = Math.min(rows.length, Math.ceil((scrollTop + VIEW_HEIGHT) / ROW_HEIGHT) + OVERSCAN);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (rows.length === 0) return;
    const row = index >= 0 ? rows[index] : undefined;
    const go = (i: number) => onSelect(rows[Math.max(0, Math.min(rows.length - 1, i))]!.item.id);
    switch (e.key) {
      case 'ArrowDown':
        go(index + 1);
        break;
      case 'ArrowUp':
        go(index <= 0 ? 0 : index - 1);
        break;
      case 'Home':
        go(0);
        break;
      case 'End':
        go(rows.length - 1);
        break;
      case 'ArrowRight':
        if (row && row.childCount > 0 && collapsed.has(row.item.id)) toggle(row.item.id);
        else if (row && row.childCount > 0) go(index + 1);
        break;
      case 'ArrowLeft':
        if (row && row.childCount > 0 && !collapsed.has(row.item.id)) toggle(row.item.id);
        else if (row?.parentId) onSelect(row.parentId);
        break;
      case 'Enter':
        if (row) onOpen?.(row.item.id);
        break;
      case 'Delete':
      case 'Backspace':
        if (row) onDelete?.(row.item.id);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  return (
    <div className="tree-wrap">
      <div className="tree-tools" role="search">
        <input type="search" aria-label="Search items" placeholder="Search id or title" value={query} onChange={(e) => setQuery(e.target.value)} />
        <select aria-label="Show" value={filter} onChange={(e) => setFilter(e.target.value as TreeFilter)}>
          {Object.entries(TREE_FILTERS).map(([k, label]) => (
            <option key={k} value={k}>
              {label}
            </option>
          ))}
        </select>
        <button type="button" className="small-button" onClick={() => setCollapsed(new Set(breakdown.epics.map((e) => e.id)))}>
          Collapse all
        </button>
        <button type="button" className="small-button" onClick={() => setCollapsed(new Set())}>
          Expand all
        </button>
      </div>
      <p className="muted small tree-count" aria-live="polite">
        {rows.length} item{rows.length === 1 ? '' : 's'} shown · arrows move, Enter opens, Delete deletes
      </p>
      <div
        ref={box}
        className="tree"
        role="tree"
        aria-label="Breakdown items"
        tabIndex={0}
        aria-activedescendant={index >= 0 ? `tree-row-${rows[index]!.item.id}` : undefined}
        style={{ height }}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
        onKeyDown={onKeyDown}
      >
        <div className="tree-space" style={{ height: rows.length * ROW_HEIGHT }}>
          {rows.slice(from, to).map((r, i) => (
            <TreeRow
              key={r.item.id}
              depth={r.depth}
              childCount={r.childCount}
              item={r.item}
              top={(from + i) * ROW_HEIGHT}
              selected={r.item.id === selected}
              expanded={r.childCount > 0 ? !collapsed.has(r.item.id) : undefined}
              flags={flagsOf(r.item.id, marks)}
              existingKey={marks.existing?.get(r.item.id)}
              onSelect={onSelect}
              onToggle={toggle}
            />
          ))}
        </div>
        {rows.length === 0 && <p className="empty">No item matches.</p>}
      </div>
    </div>
  );
});
