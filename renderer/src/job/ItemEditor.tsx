// The editor for the selected item: every field of the breakdown contract, the structure actions
// (add, delete, move, re-parent) and the page blocks it cites. Limits and enums come from the
// breakdown schema itself, so the form offers exactly what the API accepts.

import { useId, useState, type ReactNode } from 'react';
import type { SpecBlock } from '../../../core/spec/types.ts';
import { LIMITS, PRIORITIES, STORY_POINTS, type Breakdown, type Priority } from '../../../core/breakdown/schema.ts';
import type { Finding } from '../../../core/breakdown/findings.ts';
import type { ItemDuplicates } from '../../../core/jira/findDuplicates.ts';
import { locate, possibleParents, type ItemPatch } from './breakdownEdit.ts';

export interface ItemEditorProps {
  breakdown: Breakdown;
  itemId: string;
  readOnly: boolean;
  /** Fields the API refused for this item on the last save (title, labels, …). */
  invalidFields: ReadonlySet<string>;
  findings: Finding[];
  duplicates?: ItemDuplicates;
  onChange: (patch: ItemPatch) => void;
  onAddChild: () => void;
  onDelete: () => void;
  onMove: (delta: -1 | 1) => void;
  onReparent: (parentId: string) => void;
  /** The page's blocks by id (null while the page is not loaded). */
  blocks: ReadonlyMap<string, SpecBlock> | null;
  /** <option>s of the page's blocks, built once per page (a 1,000-block list is not rebuilt per keystroke). */
  blockOptions: ReactNode;
  onCite: (blockId: string) => void;
  onUncite: (blockId: string) => void;
  onShowBlock: (blockId: string) => void;
}

/** A comma-separated list kept as typed (so "a," can become "a, b") and handed up as an array. */
function ListField({ label, value, onChange, disabled, invalid, hint }: { label: string; value: string[]; onChange: (v: string[]) => void; disabled: boolean; invalid: boolean; hint: string }) {
  const [text, setText] = useState(value.join(', '));
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        value={text}
        disabled={disabled}
        aria-invalid={invalid || undefined}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          setText(e.target.value);
          onChange(
            e.target.value
              .split(/[,\s]+/)
              .map((x) => x.trim())
              .filter(Boolean),
          );
        }}
      />
      <small id={`${id}-hint`} className="muted">
        {hint}
      </small>
      {invalid && <small className="error-text">The backend refused this field.</small>}
    </div>
  );
}

export function ItemEditor(p: ItemEditorProps) {
  const at = locate(p.breakdown, p.itemId);
  const ids = useId();
  if (!at) return <p className="empty">Select an item in the tree to edit it.</p>;
  const { item, level } = at;
  const bad = (f: string) => p.invalidFields.has(f) || undefined;
  const parents = possibleParents(p.breakdown, item.id);
  const childCount = 'stories' in item ? item.stories.length : 'subtasks' in item ? item.subtasks.length : 0;
  const levelName = level === 'subtask' ? 'Sub-task' : level === 'story' ? 'Story' : 'Epic';

  return (
    <form className="editor" aria-label={`Edit ${item.id}`} onSubmit={(e) => e.preventDefault()}>
      <div className="editor-head">
        <h3>
          {levelName} {item.id}
        </h3>
        {item.origin === 'drafter' && <span className="flag flag-drafter">drafted without a model — check it</span>}
        {item.origin === 'human' && <span className="flag flag-human">added by reviewer</span>}
      </div>

      <div className="field">
        <label htmlFor={`${ids}-title`}>Title</label>
        <input
          id={`${ids}-title`}
          data-editor-title=""
          value={item.title}
          maxLength={LIMITS.titleMax}
          disabled={p.readOnly}
          aria-invalid={bad('title')}
          onChange={(e) => p.onChange({ title: e.target.value })}
        />
        {bad('title') && <small className="error-text">The backend refused this title (it must not be empty).</small>}
      </div>

      <div className="field">
        <label htmlFor={`${ids}-desc`}>Description</label>
        <textarea
          id={`${ids}-desc`}
          rows={5}
          value={item.description}
          maxLength={LIMITS.descriptionMax}
          disabled={p.readOnly}
          aria-invalid={bad('description')}
          onChange={(e) => p.onChange({ description: e.target.value })}
        />
      </div>

      <fieldset className="field" aria-invalid={bad('acceptanceCriteria')}>
        <legend>Acceptance criteria</legend>
        {item.acceptanceCriteria.length === 0 && <p className="muted small">None yet.</p>}
        <ol className="criteria">
          {item.acceptanceCriteria.map((c, i) => (
            <li key={i}>
              <input
                aria-label={`Acceptance criterion ${i + 1}`}
                value={c}
                maxLength={LIMITS.criterionMax}
                disabled={p.readOnly}
                onChange={(e) => p.onChange({ acceptanceCriteria: item.acceptanceCriteria.map((x, j) => (j === i ? e.target.value : x)) })}
              />
              <button type="button" className="small-button" disabled={p.readOnly} aria-label={`Remove acceptance criterion ${i + 1}`} onClick={() => p.onChange({ acceptanceCriteria: item.acceptanceCriteria.filter((_, j) => j !== i) })}>
                Remove
              </button>
            </li>
          ))}
        </ol>
        <button
          type="button"
          className="small-button"
          disabled={p.readOnly || item.acceptanceCriteria.length >= LIMITS.criteriaMax}
          onClick={() => p.onChange({ acceptanceCriteria: [...item.acceptanceCriteria, ''] })}
        >
          Add criterion
        </button>
        {bad('acceptanceCriteria') && <small className="error-text">The backend refused a criterion (empty or too long).</small>}
      </fieldset>

      <div className="field-row">
        {level !== 'epic' && (
          <div className="field">
            <label htmlFor={`${ids}-est`}>{level === 'story' ? 'Estimate (story points)' : 'Estimate (hours)'}</label>
            {level === 'story' ? (
              <select id={`${ids}-est`} value={item.estimate ?? ''} disabled={p.readOnly} aria-invalid={bad('estimate')} onChange={(e) => p.onChange({ estimate: e.target.value === '' ? null : Number(e.target.value) })}>
                <option value="">none</option>
                {STORY_POINTS.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            ) : (
              <input id={`${ids}-est`} type="number" min={0.25} step={0.25} max={1000} value={item.estimate ?? ''} disabled={p.readOnly} aria-invalid={bad('estimate')} onChange={(e) => p.onChange({ estimate: e.target.value === '' ? null : Number(e.target.value) })} />
            )}
          </div>
        )}
        <div className="field">
          <label htmlFor={`${ids}-prio`}>Priority</label>
          <select id={`${ids}-prio`} value={item.priority} disabled={p.readOnly} onChange={(e) => p.onChange({ priority: e.target.value as Priority })}>
            {PRIORITIES.map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
        </div>
      </div>

      <ListField label="Labels" value={item.labels} disabled={p.readOnly} invalid={!!bad('labels')} onChange={(labels) => p.onChange({ labels })} hint={`Separated by commas or spaces; at most ${LIMITS.labelsMax}, no spaces inside a label.`} />
      <ListField label="Depends on (item ids)" value={item.dependsOn} disabled={p.readOnly} invalid={!!bad('dependsOn')} onChange={(dependsOn) => p.onChange({ dependsOn })} hint="E.g. S1.2, T1.2.1 — each becomes a “blocks” link in Jira." />

      <div className="field">
        <span className="label">Sources on the page</span>
        {item.sources.length === 0 ? (
          <p className="muted small">This item cites no block of the page.</p>
        ) : (
          <ul className="sources" aria-label="Cited page blocks">
            {item.sources.map((s) => {
              const block = p.blocks?.get(s);
              return (
                <li key={s}>
                  <span className="source-text">
                    {block ? (
                      <>
                        {block.headingPath.length > 0 && <span className="muted small">{block.headingPath.at(-1)}: </span>}
                        {block.text.length > 300 ? `${block.text.slice(0, 297)}…` : block.text}
                      </>
                    ) : (
                      <span className="muted">{p.blocks ? 'a block the page no longer has' : 'page not loaded'} ({s})</span>
                    )}
                  </span>
                  <span className="source-actions">
                    {block && (
                      <button type="button" className="small-button" onClick={() => p.onShowBlock(s)}>
                        Show on page
                      </button>
                    )}
                    <button type="button" className="small-button" disabled={p.readOnly} aria-label={`Uncite ${block?.requirementId ?? s}`} onClick={() => p.onUncite(s)}>
                      Uncite
                    </button>
                  </span>
                </li>
              );
            })}
          </ul>
        )}
        {!p.readOnly && p.blockOptions && item.sources.length < LIMITS.sourcesMax && (
          <label className="inline-field cite-field">
            Cite a block
            <select value="" onChange={(e) => e.target.value && p.onCite(e.target.value)}>
              <option value="">choose a block of the page…</option>
              {p.blockOptions}
            </select>
          </label>
        )}
      </div>

      {p.findings.length > 0 && (
        <div className="field">
          <span className="label">Findings for this item</span>
          <ul className="findings">
            {p.findings.map((f, i) => (
              <li key={i} className={`finding finding-${f.severity}`}>
                <span className="sev">{f.severity}</span> {f.message}
              </li>
            ))}
          </ul>
        </div>
      )}

      {p.duplicates && p.duplicates.candidates.length > 0 && (
        <p className="banner banner-warning small">
          {p.duplicates.candidates.length} existing Jira issue(s) look similar: see “Possible duplicates” below.
        </p>
      )}

      <div className="editor-actions" role="group" aria-label="Structure">
        {level !== 'subtask' && (
          <button type="button" disabled={p.readOnly} onClick={p.onAddChild}>
            Add {level === 'epic' ? 'story' : 'sub-task'}
          </button>
        )}
        <button type="button" disabled={p.readOnly || at.index === 0} onClick={() => p.onMove(-1)}>
          Move up
        </button>
        <button type="button" disabled={p.readOnly || at.index === at.siblings - 1} onClick={() => p.onMove(1)}>
          Move down
        </button>
        {parents.length > 1 && (
          <label className="inline-field">
            Move under
            <select value={at.parentId ?? ''} disabled={p.readOnly} onChange={(e) => p.onReparent(e.target.value)}>
              {parents.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.id} {x.title.slice(0, 50)}
                </option>
              ))}
            </select>
          </label>
        )}
        <button type="button" className="danger" disabled={p.readOnly} onClick={p.onDelete}>
          Delete {item.id}
          {childCount > 0 ? ` and its ${childCount} ${level === 'epic' ? 'stories' : 'sub-tasks'}` : ''}
        </button>
      </div>
    </form>
  );
}
