// The read-mostly parts of the job detail: quality report (coverage and findings), possible
// duplicates with their decisions, created issues and the audit (the diff is in DiffPanel.tsx).

import type { JobDetailResponse } from '../../../core/server/admin.ts';
import type { BreakdownReport } from '../../../core/breakdown/checkBreakdown.ts';
import type { ItemDuplicates } from '../../../core/jira/findDuplicates.ts';
import type { DuplicateDecision, DuplicateDecisionKind, AuditEntry } from '../../../core/store/types.ts';
import { memo, useState } from 'react';
import type { SpecBlock } from '../../../core/spec/types.ts';
import type { Finding } from '../../../core/breakdown/findings.ts';
import { when } from '../app/format.ts';
import { UNCHANGED_ON_PAGE } from '../../../core/jobs/skipItems.ts';
import type { IssueNoLongerOnPage } from '../../../core/jobs/pageHistory.ts';

/** The quality report, or why there is none. */
export function reportOf(detail: JobDetailResponse): { report: BreakdownReport | null; error: string | null } {
  const r = detail.report;
  if (!r) return { report: null, error: null };
  if ('error' in r) return { report: null, error: r.error };
  return { report: r, error: null };
}

export function duplicatesOf(detail: JobDetailResponse): ItemDuplicates[] {
  const c = detail.duplicates.candidates;
  return Array.isArray(c) ? c.filter((x) => x && typeof x.itemId === 'string' && Array.isArray(x.candidates)) : [];
}

export function ItemRef({ id, onSelect }: { id: string; onSelect: (id: string) => void }) {
  return (
    <button type="button" className="link-button" onClick={() => onSelect(id)}>
      {id}
    </button>
  );
}

/** A block's text, whole when short, else the start with "Show all" to expand. */
function BlockText({ text }: { text: string }) {
  const [open, setOpen] = useState(false);
  if (text.length <= 240 || open) return <span className="block-text">{text}</span>;
  return (
    <span className="block-text">
      {text.slice(0, 200).replace(/\s+\S*$/, '')}…{' '}
      <button type="button" className="link-button" onClick={() => setOpen(true)}>
        Show all
      </button>
    </span>
  );
}

export const QualityPanel = memo(function QualityPanel(p: {
  detail: JobDetailResponse;
  blocks: ReadonlyMap<string, SpecBlock>;
  canEdit: boolean;
  onSelect: (id: string) => void;
  onShowBlock: (blockId: string) => void;
  onAddStory: (blockId: string) => void;
}) {
  const { report, error } = reportOf(p.detail);
  if (error) return <p className="banner banner-warning">{error}</p>;
  if (!report) return <p className="muted">No quality report: the page or the breakdown is not available (yet, or any more).</p>;
  const c = report.coverage;
  const uncovered = report.findings.filter((f) => f.code === 'uncovered-requirement');
  const others = report.findings.filter((f) => f.code !== 'uncovered-requirement' && f.severity !== 'info');
  const errors = others.filter((f) => f.severity === 'error').length;
  const byItem = new Map<string, Finding[]>();
  for (const f of others) byItem.set(f.itemId ?? '', [...(byItem.get(f.itemId ?? '') ?? []), f]);
  return (
    <div className="quality">
      <p className="coverage" aria-label="Coverage">
        <strong>
          {c.covered} of {c.requirementBlocks}
        </strong>{' '}
        requirements covered ({Math.round(c.ratio * 100)}%) ·{' '}
        <span className={errors ? 'error-text' : undefined}>{errors} errors</span> · {others.length - errors} warnings
      </p>
      {uncovered.length > 0 && (
        <>
          <h3>Uncovered requirements</h3>
          <ul className="findings" aria-label="Uncovered requirements">
            {uncovered.map((f) => {
              const block = f.blockId ? p.blocks.get(f.blockId) : undefined;
              return (
                <li key={f.blockId} className="finding finding-warning">
                  {block ? (
                    <>
                      {block.headingPath.length > 0 && <span className="muted small">{block.headingPath.join(' › ')}: </span>}
                      <BlockText text={block.text} />{' '}
                      <button type="button" className="small-button" onClick={() => p.onShowBlock(block.id)}>
                        Show on page
                      </button>{' '}
                      {p.canEdit && (
                        <button type="button" className="small-button" onClick={() => p.onAddStory(block.id)}>
                          Add a story from this block
                        </button>
                      )}
                    </>
                  ) : (
                    <>{f.message}</>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
      {others.length > 0 && (
        <>
          <h3>Findings by item</h3>
          <ul className="findings findings-grouped" aria-label="Findings by item">
            {[...byItem].map(([itemId, fs]) => (
              <li key={itemId || '(breakdown)'}>
                {itemId ? <ItemRef id={itemId} onSelect={p.onSelect} /> : <strong>Whole breakdown</strong>}{' '}
                <span className="muted small">
                  {fs.length} finding{fs.length === 1 ? '' : 's'}
                </span>
                <ul>
                  {fs.map((f, i) => (
                    <li key={i} className={`finding finding-${f.severity}`}>
                      <span className="sev">{f.severity}</span> {f.message}
                    </li>
                  ))}
                </ul>
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="muted small">Checked against the last saved version.</p>
    </div>
  );
});

export const DuplicatesPanel = memo(function DuplicatesPanel(p: {
  items: ItemDuplicates[];
  decisions: DuplicateDecision[];
  noLongerOnPage: IssueNoLongerOnPage[];
  searchedAt: string | null;
  /** The newest search of Jira failed: why and when. */
  lastFailure?: { message: string; at: string } | null;
  canDecide: boolean;
  busy: boolean;
  onSearch: () => void;
  onDecide: (itemId: string, issueKey: string, decision: DuplicateDecisionKind) => void;
  onSelect: (id: string) => void;
}) {
  const decisionOf = (itemId: string) => p.decisions.find((d) => d.itemId === itemId);
  return (
    <div className="duplicates">
      {p.lastFailure && (
        <p className="error-text" role="alert">
          The last search of Jira for duplicates failed ({when(p.lastFailure.at)}): {p.lastFailure.message.replace(/^Could not search Jira for duplicates:\s*/, '')}
        </p>
      )}
      <p className="muted small">
        {p.lastFailure
          ? p.searchedAt
            ? `What is listed comes from the search ${when(p.searchedAt)} and may be out of date.`
            : 'Nothing could be compared yet.'
          : p.searchedAt
            ? `Compared with Jira and earlier breakdowns of this page ${when(p.searchedAt)}.`
            : 'Jira has not been searched for this job yet.'}{' '}
        {p.canDecide && (
          <button type="button" className="small-button" disabled={p.busy} onClick={p.onSearch}>
            Search Jira again
          </button>
        )}
      </p>
      {p.items.length === 0 ? (
        !p.lastFailure && <p className="muted">No existing issue looks like an item of this breakdown.</p>
      ) : (
        <ul className="dup-list">
          {p.items.map((it) => {
            const d = decisionOf(it.itemId);
            return (
              <li key={it.itemId}>
                <div>
                  <ItemRef id={it.itemId} onSelect={p.onSelect} />{' '}
                  {d ? (
                    <span className={`flag ${d.decision === 'skip' ? 'flag-warning' : 'flag-human'}`}>
                      {d.decision === 'skip' ? `skip: already ${d.issueKey}` : d.decision === 'link' ? `create, relates to ${d.issueKey}` : `create anyway (not ${d.issueKey})`}
                    </span>
                  ) : (
                    <span className="muted small">no decision: it will be created</span>
                  )}
                  {d?.decidedBy === UNCHANGED_ON_PAGE && (
                    <span className="muted small"> unchanged on the page since {d.issueKey} was created; choose another action below to change that</span>
                  )}
                </div>
                <ul>
                  {it.candidates.map((c) => (
                    <li key={c.key} className="dup-candidate">
                      <a href={c.url} target="_blank" rel="noreferrer">
                        {c.key}
                      </a>{' '}
                      {c.summary} <span className="muted small">({Math.round(c.score * 100)}% similar)</span>{' '}
                      {c.note && <span className="flag flag-human small">{c.note}</span>}{' '}
                      <button type="button" className="small-button" disabled={!p.canDecide || p.busy} onClick={() => p.onDecide(it.itemId, c.key, 'create')}>
                        Create anyway
                      </button>{' '}
                      <button type="button" className="small-button" disabled={!p.canDecide || p.busy} onClick={() => p.onDecide(it.itemId, c.key, 'link')} title={`Create the item and link it to ${c.key} as "relates to"`}>
                        Create and link to {c.key}
                      </button>{' '}
                      <button type="button" className="small-button" disabled={!p.canDecide || p.busy} onClick={() => p.onDecide(it.itemId, c.key, 'skip')}>
                        Skip, {c.key} covers it
                      </button>
                    </li>
                  ))}
                </ul>
              </li>
            );
          })}
        </ul>
      )}
      {p.noLongerOnPage.length > 0 && (
        <div className="no-longer-on-page">
          <h3>No longer on the page</h3>
          <p className="muted small">Earlier breakdowns of this page created these issues from text the page no longer has (removed or reworded). Nothing is changed in Jira; close or update them there if they are obsolete.</p>
          <ul aria-label="Issues no longer on the page">
            {p.noLongerOnPage.map((x) => (
              <li key={x.key}>
                <a href={x.url} target="_blank" rel="noreferrer">
                  {x.key}
                </a>{' '}
                {x.title} <span className="muted small">({x.level === 'subtask' ? 'sub-task' : x.level}; {x.note})</span>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
});

export function IssuesPanel({ issues, titleOf }: { issues: JobDetailResponse['job']['issues']; titleOf: (itemId: string) => string | undefined }) {
  if (issues.length === 0) return <p className="muted">Nothing created in Jira yet.</p>;
  return (
    <ul className="issues" aria-label="Created Jira issues">
      {issues.map((i) => (
        <li key={i.key}>
          <code>{i.itemId}</code> →{' '}
          <a href={i.url} target="_blank" rel="noreferrer" className="issue-key">
            {i.key}
          </a>{' '}
          <span className="muted">{titleOf(i.itemId)}</span>
        </li>
      ))}
    </ul>
  );
}

export function AuditPanel({ audit }: { audit: AuditEntry[] }) {
  if (audit.length === 0) return <p className="muted">No audit entries.</p>;
  return (
    <table className="audit">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {audit.map((a) => (
          <tr key={a.id}>
            <td>{when(a.at)}</td>
            <td>{a.actor}</td>
            <td>{a.action}</td>
            <td className="small">
              <code>{JSON.stringify(a.details)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
