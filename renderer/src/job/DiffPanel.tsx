// The changes of the saved breakdown against the generated version: items added, removed and
// changed, each changed field with its generated and current text. A 1,000-item job's diff is
// thousands of rows, so the first DIFF_SHOWN entries show until the reviewer asks for all. The
// section opens on request: only then is the generated version read (the job detail carries the
// counts, not the generated breakdown), once per job and version, and compared here with the saved one.

import { memo, useMemo, useState } from 'react';
import { flattenBreakdown, type Breakdown, type WorkItem } from '../../../core/breakdown/schema.ts';
import { diffBreakdowns, type BreakdownDiff } from '../../../core/jobs/breakdownDiff.ts';
import type { BreakdownVersion } from '../../../core/store/types.ts';
import type { BreakdownDiffSummary } from '../../../core/server/reviewRoutes.ts';
import type { ApiClient } from '../api/client.ts';
import { RetryBanner } from '../app/RetryBanner.tsx';
import { ItemRef } from './JobPanels.tsx';
import { useGeneratedBreakdown } from './useJobData.ts';

const FIELD_LABELS: Record<string, string> = {
  title: 'Title',
  description: 'Description',
  acceptanceCriteria: 'Acceptance criteria',
  estimate: 'Estimate',
  priority: 'Priority',
  labels: 'Labels',
  components: 'Components',
  dependsOn: 'Depends on',
  sources: 'Sources',
  notes: 'Notes',
  parent: 'Parent',
};

function fieldText(item: WorkItem | undefined, field: string): string {
  if (!item) return '';
  const v = (item as unknown as Record<string, unknown>)[field];
  if (v === null || v === undefined || v === '') return '—';
  if (Array.isArray(v)) return v.length ? v.map(String).join('\n') : '—';
  return String(v);
}

/** Items by id: one walk of the breakdown instead of a search per changed item. */
const itemsById = (b: Breakdown | null): Map<string, WorkItem> => new Map(b ? flattenBreakdown(b).map((x) => [x.item.id, x.item] as const) : []);

/** How many entries the diff lists before "Show all" (a 1,000-item job's diff would be thousands of table rows). */
export const DIFF_SHOWN = 60;

export const DiffPanel = memo(function DiffPanel({ diff, before, after, onSelect }: { diff: BreakdownDiff | null; before: Breakdown | null; after: Breakdown | null; onSelect: (id: string) => void }) {
  const [all, setAll] = useState(false);
  const was = useMemo(() => itemsById(before), [before]);
  const now = useMemo(() => itemsById(after), [after]);
  if (!diff) return <p className="muted">No saved edits: the breakdown is as generated.</p>;
  const total = diff.added.length + diff.removed.length + diff.changed.length;
  // Added, removed, changed in that order, cut at DIFF_SHOWN entries until the reviewer asks for all.
  let left = all ? Infinity : DIFF_SHOWN;
  const take = <T,>(xs: T[]): T[] => {
    const out = xs.slice(0, Math.max(0, left));
    left -= out.length;
    return out;
  };
  const added = take(diff.added);
  const removed = take(diff.removed);
  const changed = take(diff.changed);
  return (
    <div className="diff">
      <ul>
        {added.map((a) => (
          <li key={`a${a.itemId}`} className="diff-added">
            + <ItemRef id={a.itemId} onSelect={onSelect} /> {a.title}
          </li>
        ))}
        {removed.map((r) => (
          <li key={`r${r.itemId}`} className="diff-removed">
            − {r.itemId} {r.title}
          </li>
        ))}
        {changed.map((c) => {
          const w = was.get(c.itemId);
          const n = now.get(c.itemId);
          return (
            <li key={`c${c.itemId}`} className="diff-changed">
              ~ <ItemRef id={c.itemId} onSelect={onSelect} /> {c.fields.join(', ')}
              <table className="diff-fields" aria-label={`Changes to ${c.itemId}`}>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Generated</th>
                    <th scope="col">Now</th>
                  </tr>
                </thead>
                <tbody>
                  {c.fields.map((f) => (
                    <tr key={f}>
                      <th scope="row">{FIELD_LABELS[f] ?? f}</th>
                      <td className="diff-before">{fieldText(w, f)}</td>
                      <td className="diff-after">{fieldText(n, f)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </li>
          );
        })}
      </ul>
      {total > DIFF_SHOWN && !all && (
        <button type="button" className="small-button" onClick={() => setAll(true)}>
          Show all {total} changes ({total - DIFF_SHOWN} more)
        </button>
      )}
    </div>
  );
});

/** The section's one line of counts (shown in its summary, open or closed; the opened list does not repeat it). */
const countsText = (d: BreakdownDiffSummary) => `${d.added} added · ${d.removed} removed · ${d.changed} changed · ${d.unchanged} unchanged`;

/**
 * The diff as a section of the job page: closed, it says how much changed (the detail's counts);
 * opened, it reads the generated version (unless this window already has it) and lists the changes
 * of the saved version against it.
 */
export function DiffSection(p: { api: ApiClient; jobId: string; diff: BreakdownDiffSummary | null; generated: Omit<BreakdownVersion, 'body'> | null; saved: Breakdown | null; onSelect: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  const { state, retry } = useGeneratedBreakdown(p.api, p.jobId, p.generated?.versionNo ?? null, open && p.diff !== null);
  const before = state.status === 'ready' ? state.body : null;
  const entries = useMemo(() => (before && p.saved ? diffBreakdowns(before, p.saved) : null), [before, p.saved]);
  if (!p.diff) {
    return (
      <section className="panel" aria-labelledby="diff-title">
        <h2 id="diff-title">Changes against the generated version</h2>
        <DiffPanel diff={null} before={null} after={p.saved} onSelect={p.onSelect} />
      </section>
    );
  }
  return (
    <details className="panel diff-section" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <h2 id="diff-title">Changes against the generated version</h2> <span className="muted small">({countsText(p.diff)})</span>
      </summary>
      {open &&
        (state.status === 'ready' ? (
          entries ? (
            <DiffPanel diff={entries} before={before} after={p.saved} onSelect={p.onSelect} />
          ) : (
            <p className="muted">The generated version was deleted by the retention policy: the changes can no longer be listed.</p>
          )
        ) : state.status === 'failed' ? (
          <RetryBanner lead="The generated version could not be loaded, so the changes cannot be shown" message={state.message} onRetry={retry} />
        ) : (
          <p className="muted" role="status">
            Loading the generated version…
          </p>
        ))}
    </details>
  );
}
