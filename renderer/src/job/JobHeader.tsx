// The top of the job page: the page's title and metadata (state, version, requester, link to
// Confluence), the target Jira project, the breakdown version, why the job failed or was rejected,
// and the decision buttons that apply to the job's state.

import type { JobDetailResponse } from '../../../core/server/admin.ts';
import type { Breakdown } from '../../../core/breakdown/schema.ts';
import { STATE_LABELS, countsText, when } from '../app/format.ts';
import { ProjectTarget } from './ProjectTarget.tsx';
import type { Dialog } from './jobReducer.ts';

export const OPEN_STATES = ['queued', 'fetching', 'generating', 'awaiting_review', 'approved', 'creating'];

export function JobHeader(p: {
  detail: JobDetailResponse;
  draft: Breakdown | null;
  busy: boolean;
  dirty: boolean;
  dialog: Dialog;
  onDialog: (d: Dialog) => void;
  onAction: (action: 'cancel' | 'retry') => void;
  onProject: (key: string | null) => void;
}) {
  const { detail, draft, busy, dirty } = p;
  const job = detail.job;
  const latest = detail.breakdown.latest;
  const inReview = job.state === 'awaiting_review';
  return (
    <div className="job-head">
      <div>
        <h1 id="job-title">{detail.snapshot?.title ?? `Page ${job.pageId}`}</h1>
        <p className="muted">
          <span className={`state state-${job.state}`}>{STATE_LABELS[job.state]}</span> · page {job.pageId}
          {detail.snapshot ? ` version ${detail.snapshot.version}` : ''} · requested by {job.requestedBy} · {when(job.createdAt)} · {countsText(job.counts)}
          {detail.snapshot && (
            <>
              {' '}
              ·{' '}
              <a href={detail.snapshot.webUrl} target="_blank" rel="noreferrer">
                open page in Confluence
              </a>
            </>
          )}
        </p>
        <ProjectTarget target={detail.targetProject} jobProject={job.projectKey} editable={inReview} busy={busy} onChange={p.onProject} />
        {latest && (
          <p className="muted small" aria-label="Breakdown version">
            Version {latest.versionNo} ({latest.kind === 'generated' ? 'as generated' : `edited by ${latest.author}`}, {when(latest.createdAt)}) · {detail.breakdown.versions.length} version(s)
            {draft?.generator.note ? ` · ${draft.generator.note}` : ''}
          </p>
        )}
        {job.error && (
          <p className="banner banner-error" role="alert">
            <strong>{job.error.code}</strong>: {job.error.message}
          </p>
        )}
        {job.rejectionReason && (
          <p className="banner banner-warning">
            <strong>Rejected:</strong> {job.rejectionReason}
          </p>
        )}
        {detail.purgedAt && <p className="banner banner-warning">The page and breakdown were deleted on {when(detail.purgedAt)} by the retention policy.</p>}
      </div>
      <div className="job-actions" role="group" aria-label="Decision">
        {inReview && (
          <>
            <button type="button" className="approve" disabled={busy || dirty} title={dirty ? 'Save or discard your edits first' : undefined} onClick={() => p.onDialog('approve')}>
              Approve and create in Jira
            </button>
            <button type="button" disabled={busy} onClick={() => p.onDialog(p.dialog === 'reject' ? 'none' : 'reject')} aria-expanded={p.dialog === 'reject'}>
              Reject…
            </button>
          </>
        )}
        {OPEN_STATES.includes(job.state) && job.state !== 'creating' && (
          <button type="button" disabled={busy} onClick={() => p.onAction('cancel')}>
            Cancel job
          </button>
        )}
        {(job.state === 'failed' || job.state === 'cancelled') && (
          <button type="button" disabled={busy} onClick={() => p.onAction('retry')}>
            Retry
          </button>
        )}
      </div>
    </div>
  );
}
