// The page beside its breakdown: the stored snapshot's sections and blocks, rendered readably
// (headings, list items at their depth, table rows with their headers, code, quotes, tasks). The
// blocks the selected item cites are highlighted and scrolled to; a requirement block no item cites
// is marked; selecting a block lists the items citing it and lets the reviewer cite it from the
// selected item, uncite it, or add a story for it.

import { memo, useEffect, useRef, type ReactNode } from 'react';
import type { SpecBlock, SpecDocument } from '../../../core/spec/types.ts';

export interface PageViewProps {
  page: SpecDocument;
  /** Block id → ids of the draft's items citing it. */
  citations: ReadonlyMap<string, readonly string[]>;
  /** Blocks the selected item cites. */
  highlighted: ReadonlySet<string>;
  selectedItem: string | null;
  selectedBlock: string | null;
  editable: boolean;
  onSelectBlock: (id: string | null) => void;
  onSelectItem: (id: string) => void;
  onCite: (blockId: string) => void;
  onUncite: (blockId: string) => void;
  onAddStory: (blockId: string) => void;
}

function BlockBody({ block }: { block: SpecBlock }) {
  switch (block.kind) {
    case 'code':
      return (
        <pre className="page-code">
          <code>{block.text}</code>
        </pre>
      );
    case 'quote':
      return <blockquote>{block.text}</blockquote>;
    case 'tableRow':
      return (
        <dl className="page-row">
          {(block.cells ?? [{ text: block.text }]).map((c, i) => (
            <div key={i}>
              {c.header && <dt>{c.header}</dt>}
              <dd>{c.text || '—'}</dd>
            </div>
          ))}
        </dl>
      );
    case 'listItem':
      return <p className="page-li">{block.text}</p>;
    case 'task':
      return (
        <p className="page-li">
          <span aria-label={block.done ? 'done' : 'open task'}>{block.done ? '☑' : '☐'}</span> {block.text}
        </p>
      );
    case 'jiraIssue':
      return <p>Jira issue {block.issueKey ?? block.text}</p>;
    case 'status':
      return <p className="flag flag-human">{block.status?.title ?? block.text}</p>;
    default:
      return <p>{block.text}</p>;
  }
}

function Block(p: { block: SpecBlock; citedBy: readonly string[]; highlighted: boolean; selected: boolean; view: PageViewProps }) {
  const { block, citedBy, view } = p;
  const requirement = block.tags.length > 0;
  const uncovered = requirement && citedBy.length === 0;
  const citedBySelected = view.selectedItem !== null && citedBy.includes(view.selectedItem);
  const cls = ['page-block', `page-${block.kind}`, uncovered ? 'uncovered' : '', p.highlighted ? 'highlighted' : '', p.selected ? 'block-selected' : ''].filter(Boolean).join(' ');
  const tag = uncovered ? 'not covered' : citedBy.length ? `${citedBy.length} item${citedBy.length === 1 ? '' : 's'}` : requirement ? '' : '·';
  return (
    <div className={cls} data-block-id={block.id} style={block.depth ? { marginLeft: `${block.depth * 1.2}rem` } : undefined} onClick={() => view.onSelectBlock(p.selected ? null : block.id)}>
      <button
        type="button"
        className={`block-tag${uncovered ? ' block-tag-uncovered' : ''}`}
        aria-expanded={p.selected}
        aria-label={`Block ${block.requirementId ?? block.id}: ${uncovered ? 'requirement not covered by any item' : citedBy.length ? `cited by ${citedBy.join(', ')}` : 'cited by no item'}`}
        onClick={(e) => {
          e.stopPropagation();
          view.onSelectBlock(p.selected ? null : block.id);
        }}
      >
        {tag || 'requirement'}
      </button>
      <div className="block-body">
        <BlockBody block={block} />
      </div>
      {p.selected && (
        <div className="block-actions" role="group" aria-label={`Block ${block.id}`} onClick={(e) => e.stopPropagation()}>
          {citedBy.length > 0 ? (
            <span>
              Cited by{' '}
              {citedBy.map((id) => (
                <button key={id} type="button" className="link-button" onClick={() => view.onSelectItem(id)}>
                  {id}
                </button>
              ))}
            </span>
          ) : (
            <span className="muted">No item cites this block.</span>
          )}
          {view.editable && view.selectedItem && !citedBySelected && (
            <button type="button" className="small-button" onClick={() => view.onCite(block.id)}>
              Cite from {view.selectedItem}
            </button>
          )}
          {view.editable && view.selectedItem && citedBySelected && (
            <button type="button" className="small-button" onClick={() => view.onUncite(block.id)}>
              Uncite from {view.selectedItem}
            </button>
          )}
          {view.editable && (
            <button type="button" className="small-button" onClick={() => view.onAddStory(block.id)}>
              Add a story from this block
            </button>
          )}
        </div>
      )}
    </div>
  );
}

const NONE: readonly string[] = [];

export const PageView = memo(function PageView(p: PageViewProps) {
  const root = useRef<HTMLDivElement>(null);
  const byId = new Map(p.page.blocks.map((b) => [b.id, b]));

  // The selected item's first cited block comes into view inside the page pane.
  const first = [...p.highlighted][0];
  useEffect(() => {
    if (!first) return;
    const el = root.current?.querySelector(`[data-block-id="${CSS.escape(first)}"]`);
    if (el && root.current) {
      const box = root.current.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      if (r.top < box.top || r.bottom > box.bottom) root.current.scrollTop += r.top - box.top - 40;
    }
  }, [first, p.selectedItem]);

  const sections: ReactNode[] = p.page.sections.map((s) => {
    const blocks = s.blockIds.map((id) => byId.get(id)).filter((b): b is SpecBlock => !!b);
    if (blocks.length === 0 && s.level === 0) return null;
    const H = (`h${Math.min(6, Math.max(3, s.level + 2))}` as 'h3');
    return (
      <section key={s.id} className="page-section" aria-label={s.title || 'Introduction'}>
        {s.level > 0 && <H className="page-heading">{s.title}</H>}
        {blocks.map((b) => (
          <Block key={b.id} block={b} citedBy={p.citations.get(b.id) ?? NONE} highlighted={p.highlighted.has(b.id)} selected={p.selectedBlock === b.id} view={p} />
        ))}
      </section>
    );
  });
  const uncovered = p.page.blocks.filter((b) => b.tags.length > 0 && !(p.citations.get(b.id)?.length)).length;
  return (
    <div className="page-view" ref={root} role="region" aria-label="Page" tabIndex={-1}>
      <p className="muted small page-legend">
        {p.page.blocks.length} blocks · <span className={uncovered ? 'error-text' : undefined}>{uncovered} requirement{uncovered === 1 ? '' : 's'} not covered</span>
        {p.selectedItem ? ` · highlighted: what ${p.selectedItem} cites` : ''}
      </p>
      {sections}
    </div>
  );
});
