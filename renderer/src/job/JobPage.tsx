// One job under review, as a workspace: the breakdown tree, the item editor and the page the items
// come from, side by side; then coverage and findings, the diff, possible duplicates, the re-sync of
// issues the page already made, created issues and the audit log (read a page at a time, on request). This file is the layout: state lives in
// jobReducer, loading in useJobData and useResync, derived data in useWorkspaceData, what the
// reviewer can do in useJobActions. Edits stay in a draft (kept in this browser until saved) so
// nothing typed is lost: a refused save keeps it and marks the fields the API named.

import { useEffect, useReducer, useRef, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { ServerEvents } from '../api/useServerEvents.ts';
import { when } from '../app/format.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';
import { useLeaveGuard } from '../app/leaveGuard.ts';
import { IssuesPanel } from './JobPanels.tsx';
import { AuditSection } from './AuditSection.tsx';
import { ApproveDialog, RejectDialog, approvalSummary, progressText } from './JobDecisions.tsx';
import { JobHeader, OPEN_STATES } from './JobHeader.tsx';
import { Workspace } from './Workspace.tsx';
import { ReviewPanels } from './ReviewPanels.tsx';
import { ResyncPanel } from './ResyncPanel.tsx';
import { locate } from './breakdownEdit.ts';
import { initialJobView, jobReducer } from './jobReducer.ts';
import { useJobDetail, useJobPage } from './useJobData.ts';
import { useLocalDraft } from './useLocalDraft.ts';
import { useJobActions } from './useJobActions.ts';
import { useResync } from './useResync.ts';
import { useWorkspaceData } from './useWorkspaceData.ts';

const LEAVE_MESSAGE = 'This breakdown has unsaved edits. Leave anyway? (They stay in this browser and come back when you open the job again.)';

export function JobPage({ api, jobId, events }: { api: ApiClient; jobId: string; events: ServerEvents }) {
  const [state, dispatch] = useReducer(jobReducer, initialJobView);
  const editorRef = useRef<HTMLDivElement>(null);
  const { detail, draft, dirty, selected, busy } = state;

  const reload = useJobDetail(api, jobId, events, dispatch);
  // The tree and the editor paint first; the page view and the panels below follow a frame later, so
  // a 1,000-item job shows its tree without waiting for everything else on the screen.
  const [settled, setSettled] = useState(false);
  const loaded = detail !== null;
  useEffect(() => {
    if (!loaded) return;
    const frame = requestAnimationFrame(() => setSettled(true));
    return () => cancelAnimationFrame(frame);
  }, [loaded]);
  const pageData = useJobPage(api, jobId, detail?.snapshot && !detail.snapshot.purged ? detail.snapshot.version : null);
  const page = pageData?.page ?? null;
  const job = detail?.job;
  const inReview = job?.state === 'awaiting_review';
  const latest = detail?.breakdown.latest;
  useLocalDraft({ jobId, versionNo: latest?.versionNo ?? null, editable: inReview, draft, dirty, dispatch });
  useLeaveGuard(dirty, LEAVE_MESSAGE);

  const data = useWorkspaceData(state, page);
  const a = useJobActions({ api, jobId, state, dispatch, reload, blocks: data.blocks, editor: editorRef });
  const resync = useResync(api, jobId, `${job?.updatedAt ?? ''}|${detail?.duplicates.searchedAt ?? ''}|${latest?.versionNo ?? 0}`, !!draft);

  if (state.loadError && !detail) {
    return (
      <section>
        <p>
          <a href="#/">← Review queue</a>
        </p>
        <ErrorBanner error={state.loadError} title="This job could not be loaded" />
      </section>
    );
  }
  if (!detail || !job) return <p className="loading">Loading job…</p>;
  const progress = progressText(job);

  return (
    <section aria-labelledby="job-title" className="job">
      <p>
        <a href="#/">← Review queue</a>
      </p>
      <JobHeader
        detail={detail}
        draft={draft}
        busy={busy}
        dirty={dirty}
        dialog={state.dialog}
        onDialog={(d) => dispatch({ type: 'dialog', dialog: d })}
        onAction={(x) => void a.act(x)}
        onProject={(k) => void a.changeProject(k)}
      />

      {state.dialog === 'approve' && inReview && draft && (
        <ApproveDialog summary={approvalSummary(detail, draft)} blocks={data.blocks} resync={resync.res?.plan ? resync.res.counts : null} busy={busy} onApprove={(s) => void a.approve(s)} onClose={a.closeDialog} />
      )}
      {state.dialog === 'reject' && inReview && <RejectDialog busy={busy} onReject={(r) => void a.act('reject', r)} onClose={a.closeDialog} />}

      {state.notice && (
        <p className="banner banner-ok" role="status">
          {state.notice}
        </p>
      )}
      {state.restoredAt && dirty && (
        <p className="banner banner-warning" role="status">
          Restored your unsaved edits from {when(state.restoredAt)} (kept in this browser). Save them, or discard them to go back to version {latest?.versionNo}.
        </p>
      )}
      <ErrorBanner error={state.saveError} title="The breakdown was not saved — your edits are still here" />
      <ErrorBanner error={state.actionError} />

      {progress && (
        <section className="panel" aria-labelledby="progress-title">
          <h2 id="progress-title">Progress</h2>
          <p role="status" aria-label="Job progress">
            {progress}
          </p>
          {job.state === 'generating' && <p className="muted small">This page updates by itself.</p>}
        </section>
      )}

      {job.issues.length > 0 || ['approved', 'creating', 'done'].includes(job.state) ? (
        <section className="panel" aria-labelledby="issues-title">
          <h2 id="issues-title">Created in Jira</h2>
          <IssuesPanel issues={job.issues} titleOf={(id) => (draft ? locate(draft, id)?.item.title : undefined)} />
        </section>
      ) : null}

      {inReview && (
        <div className={`savebar${dirty ? ' savebar-dirty' : ''}`} role="region" aria-label="Save">
          <span className="small">
            {dirty ? `Unsaved edits in ${data.unsaved.size} item${data.unsaved.size === 1 ? '' : 's'} · kept in this browser until saved` : 'All edits saved'}
            <span className="muted"> · Ctrl+S saves</span>
          </span>
          <button type="button" className="primary" disabled={busy || !dirty} onClick={() => void a.save()}>
            Save
          </button>
          {dirty && (
            <button type="button" disabled={busy} onClick={() => dispatch({ type: 'discarded' })}>
              Discard edits
            </button>
          )}
        </div>
      )}

      {draft ? (
        <Workspace
          draft={draft}
          selected={selected}
          selectedBlock={state.selectedBlock}
          inReview={inReview}
          page={page}
          pageNote={pageData?.reason ?? (detail.snapshot?.purged ? 'The page snapshot was deleted by the retention policy.' : 'Loading the page…')}
          settled={settled}
          data={data}
          actions={a}
          editorRef={editorRef}
        />
      ) : (
        <section className="panel">
          <h2>Breakdown</h2>
          <p className="muted">{OPEN_STATES.includes(job.state) ? 'Not generated yet; this page updates by itself.' : 'No breakdown is stored for this job.'}</p>
        </section>
      )}

      {draft && settled && <ReviewPanels api={api} jobId={jobId} detail={detail} draft={draft} saved={state.saved} inReview={inReview} busy={busy} data={data} actions={a} />}

      {draft && <ResyncPanel api={api} jobId={jobId} editable={inReview} resync={resync} />}

      {/* Each load of the detail (a pushed event, an action) reads the newest entries again while it is open. */}
      <AuditSection api={api} jobId={jobId} refresh={detail} />
    </section>
  );
}
