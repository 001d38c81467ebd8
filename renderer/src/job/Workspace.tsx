// The review workspace proper: the breakdown tree, the selected item's editor and the page the items
// come from, side by side. The page view mounts once the tree has painted (`settled`), so a
// 1,000-item job shows its tree without waiting for the page's blocks.

import type { RefObject } from 'react';
import type { Breakdown } from '../../../core/breakdown/schema.ts';
import type { SpecDocument } from '../../../core/spec/types.ts';
import { BreakdownTree } from './BreakdownTree.tsx';
import { ItemEditor } from './ItemEditor.tsx';
import { PageView } from './PageView.tsx';
import { moveItem, reparentItem, updateItem, type ItemPatch } from './breakdownEdit.ts';
import type { JobActions } from './useJobActions.ts';
import type { WorkspaceData } from './useWorkspaceData.ts';

const EMPTY = new Set<string>();

export function Workspace(p: {
  draft: Breakdown;
  selected: string | null;
  selectedBlock: string | null;
  inReview: boolean;
  page: SpecDocument | null;
  /** Shown instead of the page view while it loads, or why there is none. */
  pageNote: string;
  settled: boolean;
  data: WorkspaceData;
  actions: JobActions;
  editorRef: RefObject<HTMLDivElement>;
}) {
  const { draft, selected, inReview, page, data, actions: a } = p;
  const selItem = data.selItem;
  return (
    <section className="panel" aria-labelledby="breakdown-title">
      <div className="panel-head">
        <h2 id="breakdown-title">Breakdown</h2>
        {inReview && (
          <button type="button" className="small-button" onClick={() => a.add('epic', null)}>
            Add epic
          </button>
        )}
      </div>
      <div className="workspace">
        <div className="ws-tree">
          <BreakdownTree breakdown={draft} selected={selected} onSelect={a.select} marks={data.marks} onOpen={a.openItem} onDelete={inReview ? a.askDelete : undefined} />
        </div>
        <div className="ws-editor" ref={p.editorRef}>
          {selItem && selected ? (
            <ItemEditor
              key={selected}
              breakdown={draft}
              itemId={selected}
              readOnly={!inReview}
              invalidFields={data.invalid.get(selected) ?? EMPTY}
              findings={data.findingsByItem.get(selected) ?? []}
              duplicates={data.duplicates.find((d) => d.itemId === selected)}
              onChange={(patch: ItemPatch) => a.withDraft((d) => updateItem(d, selected, patch))}
              onAddChild={() => a.add(selItem.level === 'epic' ? 'story' : 'subtask', selected)}
              onDelete={() => a.askDelete(selected)}
              onMove={(delta) => a.withDraft((d) => moveItem(d, selected, delta))}
              onReparent={(parentId) => a.withDraft((d) => reparentItem(d, selected, parentId))}
              blocks={page ? data.blocks : null}
              blockOptions={data.blockOptions}
              onCite={a.cite}
              onUncite={a.uncite}
              onShowBlock={a.showBlock}
            />
          ) : (
            <p className="empty">Select an item in the tree to edit it.</p>
          )}
        </div>
        <div className="ws-page">
          <h3 className="ws-page-title">The page</h3>
          {page && p.settled ? (
            <PageView
              page={page}
              citations={data.citations}
              highlighted={data.highlighted}
              selectedItem={selected}
              selectedBlock={p.selectedBlock}
              editable={inReview}
              onSelectBlock={a.selectBlock}
              onSelectItem={a.showInEditor}
              onCite={a.cite}
              onUncite={a.uncite}
              onAddStory={a.addStory}
            />
          ) : (
            <p className="muted">{p.pageNote}</p>
          )}
        </div>
      </div>
    </section>
  );
}
