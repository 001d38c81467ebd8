// The breakdown as a tree (epics → stories → sub-tasks). Each item is a button, so the tree is
// reachable with Tab and Enter; drafted items, items already in Jira (skipped), changed items and
// items with findings are marked.

import type { ReactNode } from 'react';
import type { Breakdown, WorkItem } from '../../../core/breakdown/schema.ts';

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
}

function Node({ item, selected, onSelect, marks, children }: { item: WorkItem; selected: string | null; onSelect: (id: string) => void; marks: TreeMarks; children?: ReactNode }) {
  const cls = ['tree-item', item.id === selected ? 'selected' : '', marks.invalid.has(item.id) ? 'invalid' : ''].filter(Boolean).join(' ');
  return (
    <li>
      <button type="button" className={cls} aria-current={item.id === selected ? 'true' : undefined} onClick={() => onSelect(item.id)} data-item-id={item.id}>
        <span className="item-id">{item.id}</span>
        <span className="item-title">{item.title || <em className="muted">(no title)</em>}</span>
        {item.origin === 'drafter' && (
          <span className="flag flag-drafter" title="Drafted without a model from the page structure: check it carefully">
            drafted
          </span>
        )}
        {item.origin === 'human' && <span className="flag flag-human">added by reviewer</span>}
        {marks.existing?.has(item.id) && (
          <span className="flag flag-warning" title={`Not created: ${marks.existing.get(item.id)} already stands for it`}>
            already {marks.existing.get(item.id)}
          </span>
        )}
        {marks.changed.has(item.id) && <span className="flag flag-changed">edited</span>}
        {marks.errors.has(item.id) && <span className="flag flag-error">error</span>}
        {!marks.errors.has(item.id) && marks.warnings.has(item.id) && <span className="flag flag-warning">warning</span>}
      </button>
      {children}
    </li>
  );
}

export function BreakdownTree({ breakdown, selected, onSelect, marks }: { breakdown: Breakdown; selected: string | null; onSelect: (id: string) => void; marks: TreeMarks }) {
  if (breakdown.epics.length === 0) return <p className="empty">The breakdown has no items yet. Add an epic to start.</p>;
  return (
    <ul className="tree" aria-label="Breakdown items">
      {breakdown.epics.map((e) => (
        <Node key={e.id} item={e} selected={selected} onSelect={onSelect} marks={marks}>
          {e.stories.length > 0 && (
            <ul>
              {e.stories.map((s) => (
                <Node key={s.id} item={s} selected={selected} onSelect={onSelect} marks={marks}>
                  {s.subtasks.length > 0 && (
                    <ul>
                      {s.subtasks.map((t) => (
                        <Node key={t.id} item={t} selected={selected} onSelect={onSelect} marks={marks} />
                      ))}
                    </ul>
                  )}
                </Node>
              ))}
            </ul>
          )}
        </Node>
      ))}
    </ul>
  );
}
