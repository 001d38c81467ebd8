// Decisions with their consequences in view. Approve shows what it does (issues to create and
// skipped, per level, and the target project); below-full coverage or error findings need an
// explicit "approve anyway" with the uncovered requirements listed, and the summary goes to the
// audit log with the approval. A re-sync's approval also says what it does to the issues earlier jobs
// of the page made (updates, marks, new, held), as the re-sync panel counts them. Reject needs a
// reason, which the requester sees on the public status.
// Also the progress of a running job (generation section k of n, creation n of total).

import { useState } from 'react';
import type { JobDetailResponse } from '../../../core/server/admin.ts';
import type { ApproveRequest } from '../../../core/server/reviewRoutes.ts';
import type { Breakdown, ItemLevel } from '../../../core/breakdown/schema.ts';
import type { SpecBlock } from '../../../core/spec/types.ts';
import type { ResyncCounts } from '../../../core/jobs/resync.ts';
import { reportOf } from './JobPanels.tsx';

type PerLevel = Record<'epics' | 'stories' | 'subtasks', number>;
const KEY: Record<ItemLevel, keyof PerLevel> = { epic: 'epics', story: 'stories', subtask: 'subtasks' };

export type ApprovalSummary = NonNullable<ApproveRequest['summary']>;

/** What approving creates and skips, per level, and the gaps the reviewer has to accept. */
export function approvalSummary(detail: JobDetailResponse, breakdown: Breakdown): ApprovalSummary {
  const skip = new Set(detail.duplicates.decisions.filter((d) => d.decision === 'skip').map((d) => d.itemId));
  const created = new Set(detail.job.issues.map((i) => i.itemId));
  const toCreate: PerLevel = { epics: 0, stories: 0, subtasks: 0 };
  const skipped: PerLevel = { epics: 0, stories: 0, subtasks: 0 };
  const count = (id: string, level: ItemLevel) => ((skip.has(id) || created.has(id) ? skipped : toCreate)[KEY[level]] += 1);
  for (const e of breakdown.epics) {
    count(e.id, 'epic');
    for (const s of e.stories) {
      count(s.id, 'story');
      for (const t of s.subtasks) count(t.id, 'subtask');
    }
  }
  const { report } = reportOf(detail);
  const uncovered = report?.coverage.uncovered ?? [];
  const errors = report?.findings.filter((f) => f.severity === 'error').length ?? 0;
  const gaps = uncovered.length > 0 || errors > 0;
  return { toCreate, skipped, targetProject: detail.targetProject?.key ?? null, coverage: report ? report.coverage.ratio : null, errors, uncovered, approvedAnyway: gaps };
}

const total = (p: PerLevel) => p.epics + p.stories + p.subtasks;
const perLevel = (p: PerLevel) => `${p.epics} epic${p.epics === 1 ? '' : 's'}, ${p.stories} stor${p.stories === 1 ? 'y' : 'ies'}, ${p.subtasks} sub-task${p.subtasks === 1 ? '' : 's'}`;

/** The re-sync part of an approval in words: what happens to the issues earlier jobs of the page made. */
export function resyncText(c: ResyncCounts): string {
  const parts = [`${c.update} to update`, `${c.mark} to mark as no longer on the page`, `${c.create} new`];
  if (c.held) parts.push(`${c.held} held (changed in Jira)`);
  if (c.declined) parts.push(`${c.declined} declined`);
  parts.push(`${c.unchanged} unchanged`);
  return parts.join(' · ');
}

export function ApproveDialog(p: {
  summary: ApprovalSummary;
  blocks: ReadonlyMap<string, SpecBlock>;
  /** The re-sync counts when the page already made issues (null for a first breakdown, or while loading). */
  resync: ResyncCounts | null;
  busy: boolean;
  onApprove: (s: ApprovalSummary) => void;
  onClose: () => void;
}) {
  const s = p.resync ? { ...p.summary, resync: p.resync } : p.summary;
  const [accepted, setAccepted] = useState(false);
  const gaps = s.approvedAnyway;
  const n = total(s.toCreate);
  return (
    <section className="decision-dialog" role="dialog" aria-labelledby="approve-title" aria-modal="false">
      <h2 id="approve-title">Approve and create in Jira</h2>
      <ul className="approve-summary" aria-label="What approval does">
        <li>
          <strong>
            {n} issue{n === 1 ? '' : 's'} to create
          </strong>{' '}
          in {s.targetProject ? <strong>{s.targetProject}</strong> : <span className="error-text">no project (set one in Settings or on this job)</span>}: {perLevel(s.toCreate)}
        </li>
        <li>
          {total(s.skipped)} skipped (already in Jira): {perLevel(s.skipped)}
        </li>
        {p.resync && (
          <li aria-label="Re-sync of existing issues">
            <strong>Issues this page already made:</strong> {resyncText(p.resync)}
          </li>
        )}
        <li>
          Coverage {s.coverage === null ? 'not checked' : `${Math.round(s.coverage * 100)}%`} · {s.errors} error finding{s.errors === 1 ? '' : 's'}
        </li>
      </ul>
      {gaps && (
        <div className="banner banner-warning">
          <p>
            <strong>This breakdown has gaps.</strong>{' '}
            {s.uncovered.length > 0 ? `${s.uncovered.length} requirement${s.uncovered.length === 1 ? ' is' : 's are'} not covered by any item` : 'Every requirement is covered'}
            {s.errors > 0 ? ` and ${s.errors} finding${s.errors === 1 ? ' is an error' : 's are errors'}` : ''}.
          </p>
          {s.uncovered.length > 0 && (
            <ul className="uncovered-list" aria-label="Requirements not covered">
              {s.uncovered.map((id) => (
                <li key={id}>{p.blocks.get(id)?.text ?? id}</li>
              ))}
            </ul>
          )}
          <label className="inline-field">
            <input type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} style={{ width: 'auto' }} />I have read these gaps and approve anyway
          </label>
        </div>
      )}
      <div className="dialog-actions">
        <button type="button" className="approve" disabled={p.busy || (gaps && !accepted) || !s.targetProject} onClick={() => p.onApprove(s)}>
          {gaps ? `Approve anyway and create ${n} issue${n === 1 ? '' : 's'}` : `Create ${n} issue${n === 1 ? '' : 's'} in ${s.targetProject ?? 'Jira'}`}
        </button>
        <button type="button" onClick={p.onClose}>
          Back to review
        </button>
      </div>
    </section>
  );
}

export function RejectDialog(p: { busy: boolean; onReject: (reason: string) => void; onClose: () => void }) {
  const [reason, setReason] = useState('');
  return (
    <form
      className="decision-dialog reject-form"
      role="dialog"
      aria-labelledby="reject-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim()) p.onReject(reason.trim());
      }}
    >
      <h2 id="reject-title">Reject this breakdown</h2>
      <label htmlFor="reject-reason">Reason for rejecting (the requester sees it on the page)</label>
      <textarea id="reject-reason" rows={3} maxLength={2000} required value={reason} onChange={(e) => setReason(e.target.value)} />
      <div className="dialog-actions">
        <button type="submit" className="danger" disabled={p.busy || !reason.trim()}>
          Reject job
        </button>
        <button type="button" onClick={p.onClose}>
          Back to review
        </button>
      </div>
    </form>
  );
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const mins = (ms: number) => (ms < 60_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} min`);

/** A running job's progress in words, from what the engine and the creation step report; null when idle. */
export function progressText(job: JobDetailResponse['job'], now: number = Date.now()): string | null {
  const p = job.progress;
  const elapsed = now - Date.parse(job.createdAt);
  if (job.state === 'generating') {
    const section = num(p.section);
    const sections = num(p.sections);
    const tokens = num(p.tokens);
    const parts = [section && sections ? `section ${section} of ${sections}` : p.phase === 'outline' ? 'outlining the page' : 'starting'];
    if (tokens) parts.push(`${tokens} tokens so far`);
    parts.push(`${mins(elapsed)} elapsed`);
    if (section && sections && section > 1) parts.push(`about ${mins((elapsed / (section - 1)) * (sections - section + 1))} left`);
    return `Generating: ${parts.join(' · ')}`;
  }
  if (job.state === 'creating') {
    const done = num(p.done) ?? job.issues.length;
    const totalItems = num(p.total);
    return `Creating in Jira: ${done} of ${totalItems ?? '?'} issues${typeof p.message === 'string' && p.message ? ` · ${p.message}` : ''}`;
  }
  if (job.state === 'fetching') return 'Reading the page from Confluence…';
  if (job.state === 'queued') return 'Waiting for its turn…';
  return null;
}
