// One job under review: page metadata, quality report, the breakdown tree with its editor, the diff,
// possible duplicates, the decisions (approve, reject, cancel, retry), created issues and audit.
// Edits live in a local draft until Save; a refused save keeps the draft and marks the fields the
// API named, so nothing typed is lost.

import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ApiClient, ApiFailure, JobAction } from '../api/client.ts';
import type { ServerEvents } from '../api/useServerEvents.ts';
import type { JobDetailResponse } from '../../../core/server/admin.ts';
import type { DuplicateDecisionKind } from '../../../core/store/types.ts';
import type { Breakdown, ItemLevel } from '../../../core/breakdown/schema.ts';
import type { Finding } from '../../../core/breakdown/findings.ts';
import { STATE_LABELS, countsText, when } from '../app/format.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';
import { BreakdownTree, type TreeMarks } from './BreakdownTree.tsx';
import { ItemEditor } from './ItemEditor.tsx';
import { AuditPanel, DiffPanel, DuplicatesPanel, IssuesPanel, QualityPanel, duplicatesOf, reportOf } from './JobPanels.tsx';
import { addItem, deleteItem, fieldErrorsByItem, locate, moveItem, reparentItem, updateItem, type ItemPatch } from './breakdownEdit.ts';
import { ProjectTarget } from './ProjectTarget.tsx';

const OPEN = ['queued', 'fetching', 'generating', 'awaiting_review', 'approved', 'creating'];

export function JobPage({ api, jobId, events }: { api: ApiClient; jobId: string; events: ServerEvents }) {
  const [detail, setDetail] = useState<JobDetailResponse | null>(null);
  const [loadError, setLoadError] = useState<ApiFailure | null>(null);
  const [draft, setDraft] = useState<Breakdown | null>(null);
  const [dirty, setDirty] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<ApiFailure | null>(null);
  const [actionError, setActionError] = useState<ApiFailure | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');

  const load = useCallback(
    async (opts: { resetDraft: boolean }) => {
      const r = await api.job(jobId);
      if (!r.ok) {
        setLoadError(r);
        return;
      }
      setLoadError(null);
      setDetail(r.data);
      if (opts.resetDraft) {
        const body = (r.data.breakdown.latest?.body ?? null) as Breakdown | null;
        setDraft(body);
        setDirty(false);
        setSelected((s) => (s && body && locate(body, s) ? s : (body?.epics[0]?.stories[0]?.id ?? body?.epics[0]?.id ?? null)));
      }
    },
    [api, jobId],
  );

  useEffect(() => {
    void load({ resetDraft: true });
  }, [load]);

  // A pushed event for this job (state change, progress): re-read it, keeping unsaved edits.
  const pushed = events.jobs.get(jobId);
  useEffect(() => {
    if (pushed) void load({ resetDraft: !dirty });
    // Only the event itself triggers a reload, not every keystroke (dirty changes on edits).
  }, [pushed?.updatedAt, pushed?.state]);

  const reportInfo = useMemo(() => (detail ? reportOf(detail) : { report: null, error: null }), [detail]);
  const findingsByItem = useMemo(() => {
    const m = new Map<string, Finding[]>();
    for (const f of reportInfo.report?.findings ?? []) if (f.itemId) m.set(f.itemId, [...(m.get(f.itemId) ?? []), f]);
    return m;
  }, [reportInfo]);
  const invalid = useMemo(() => (draft && saveError ? fieldErrorsByItem(draft, saveError.fields) : new Map<string, Set<string>>()), [draft, saveError]);
  const marks: TreeMarks = useMemo(() => {
    const diff = detail?.breakdown.diff;
    const changed = new Set<string>([...(diff?.added ?? []).map((a) => a.itemId), ...(diff?.changed ?? []).map((c) => c.itemId)]);
    const errors = new Set<string>();
    const warnings = new Set<string>();
    for (const [id, fs] of findingsByItem) {
      if (fs.some((f) => f.severity === 'error')) errors.add(id);
      else if (fs.some((f) => f.severity === 'warning')) warnings.add(id);
    }
    const existing = new Map((detail?.duplicates.decisions ?? []).filter((d) => d.decision === 'skip').map((d) => [d.itemId, d.issueKey]));
    return { changed, errors, warnings, invalid: new Set(invalid.keys()), existing };
  }, [detail, findingsByItem, invalid]);

  if (loadError && !detail) {
    return (
      <section>
        <p>
          <a href="#/">← Review queue</a>
        </p>
        <ErrorBanner error={loadError} title="This job could not be loaded" />
      </section>
    );
  }
  if (!detail) return <p className="loading">Loading job…</p>;

  const job = detail.job;
  const inReview = job.state === 'awaiting_review';
  const latest = detail.breakdown.latest;
  const duplicates = duplicatesOf(detail);

  const edit = (next: Breakdown, select?: string) => {
    setDraft(next);
    setDirty(true);
    setNotice(null);
    if (select !== undefined) setSelected(select);
  };

  const save = async () => {
    if (!draft) return;
    setBusy(true);
    const r = await api.saveBreakdown(job.jobId, draft);
    setBusy(false);
    if (!r.ok) {
      setSaveError(r);
      return;
    }
    setSaveError(null);
    setNotice(`Saved as version ${r.data.versionNo}.`);
    await load({ resetDraft: true });
  };

  const act = async (action: JobAction, why?: string) => {
    setBusy(true);
    setActionError(null);
    const r = await api.jobAction(job.jobId, action, why);
    setBusy(false);
    if (!r.ok) {
      setActionError(r);
      return;
    }
    setRejecting(false);
    setReason('');
    setNotice(`Job ${STATE_LABELS[r.data.state].toLowerCase()}.`);
    await load({ resetDraft: true });
  };

  const searchDuplicates = async () => {
    setBusy(true);
    const r = await api.searchDuplicates(job.jobId);
    setBusy(false);
    setActionError(r.ok ? null : r);
    await load({ resetDraft: !dirty });
  };
  const changeProject = async (projectKey: string | null) => {
    setBusy(true);
    const r = await api.setProject(job.jobId, projectKey);
    setBusy(false);
    setActionError(r.ok ? null : r);
    if (r.ok) {
      const target = projectKey ? `Issues will be created in ${projectKey}.` : 'Issues will be created in the backend default project.';
      setNotice(r.data.duplicatesCleared ? `${target} ${r.data.duplicatesCleared.message}` : target);
    }
    await load({ resetDraft: !dirty });
  };
  const decide = async (itemId: string, key: string, decision: DuplicateDecisionKind) => {
    setBusy(true);
    const r = await api.decideDuplicate(job.jobId, itemId, key, decision);
    setBusy(false);
    setActionError(r.ok ? null : r);
    await load({ resetDraft: !dirty });
  };

  const add = (level: ItemLevel, parentId: string | null) => {
    if (!draft) return;
    const r = addItem(draft, level, parentId);
    edit(r.breakdown, r.id);
  };
  const sel = selected && draft ? locate(draft, selected) : undefined;

  return (
    <section aria-labelledby="job-title" className="job">
      <p>
        <a href="#/">← Review queue</a>
      </p>
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
          <ProjectTarget target={detail.targetProject} jobProject={job.projectKey} editable={inReview} busy={busy} onChange={(k) => void changeProject(k)} />
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
          {detail.purgedAt && <p className="banner banner-warning">The page and breakdown were deleted on {when(detail.purgedAt)} by the retention policy.</p>}
        </div>
        <div className="job-actions" role="group" aria-label="Decision">
          {inReview && (
            <>
              <button type="button" className="primary" disabled={busy || !dirty} onClick={() => void save()}>
                Save
              </button>
              <button type="button" className="approve" disabled={busy || dirty} title={dirty ? 'Save or discard your edits first' : undefined} onClick={() => void act('approve')}>
                Approve and create in Jira
              </button>
              <button type="button" disabled={busy} onClick={() => setRejecting((x) => !x)} aria-expanded={rejecting}>
                Reject…
              </button>
            </>
          )}
          {OPEN.includes(job.state) && job.state !== 'creating' && (
            <button type="button" disabled={busy} onClick={() => void act('cancel')}>
              Cancel job
            </button>
          )}
          {(job.state === 'failed' || job.state === 'cancelled') && (
            <button type="button" disabled={busy} onClick={() => void act('retry')}>
              Retry
            </button>
          )}
          {dirty && (
            <button type="button" disabled={busy} onClick={() => void load({ resetDraft: true }).then(() => setSaveError(null))}>
              Discard edits
            </button>
          )}
        </div>
      </div>

      {rejecting && (
        <form
          className="reject-form"
          onSubmit={(e) => {
            e.preventDefault();
            void act('reject', reason.trim() || undefined);
          }}
        >
          <label htmlFor="reject-reason">Reason for rejecting (sent to the audit log)</label>
          <textarea id="reject-reason" rows={2} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} />
          <button type="submit" className="danger" disabled={busy}>
            Reject job
          </button>
        </form>
      )}

      {notice && (
        <p className="banner banner-ok" role="status">
          {notice}
        </p>
      )}
      {dirty && <p className="banner banner-warning small">Unsaved edits. Save creates a new version; the generated one is kept for the diff.</p>}
      <ErrorBanner error={saveError} title="The breakdown was not saved — your edits are still here" />
      <ErrorBanner error={actionError} />

      {job.issues.length > 0 || ['approved', 'creating', 'done'].includes(job.state) ? (
        <section className="panel" aria-labelledby="issues-title">
          <h2 id="issues-title">Created in Jira</h2>
          {job.state === 'creating' && <p className="muted">Creating… {String(job.progress.created ?? '')}</p>}
          <IssuesPanel issues={job.issues} titleOf={(id) => (draft ? locate(draft, id)?.item.title : undefined)} />
        </section>
      ) : null}

      <section className="panel" aria-labelledby="quality-title">
        <h2 id="quality-title">Coverage and findings</h2>
        <QualityPanel detail={detail} onSelect={setSelected} />
        {draft && draft.warnings.length > 0 && (
          <ul className="findings">
            {draft.warnings.map((w, i) => (
              <li key={i} className="finding finding-warning">
                <span className="sev">warning</span> {w}
              </li>
            ))}
          </ul>
        )}
      </section>

      {draft ? (
        <section className="panel" aria-labelledby="breakdown-title">
          <div className="panel-head">
            <h2 id="breakdown-title">Breakdown</h2>
            <button type="button" className="small-button" disabled={!inReview} onClick={() => add('epic', null)}>
              Add epic
            </button>
          </div>
          <div className="split">
            <div className="split-tree">
              <BreakdownTree breakdown={draft} selected={selected} onSelect={setSelected} marks={marks} />
            </div>
            <div className="split-editor">
              {sel && selected ? (
                <ItemEditor
                  key={selected}
                  breakdown={draft}
                  itemId={selected}
                  readOnly={!inReview}
                  invalidFields={invalid.get(selected) ?? new Set()}
                  findings={findingsByItem.get(selected) ?? []}
                  duplicates={duplicates.find((d) => d.itemId === selected)}
                  onChange={(patch: ItemPatch) => edit(updateItem(draft, selected, patch))}
                  onAddChild={() => add(sel.level === 'epic' ? 'story' : 'subtask', selected)}
                  onDelete={() => {
                    if (window.confirm(`Delete ${selected}${sel.level === 'subtask' ? '' : ' and everything under it'}?`)) edit(deleteItem(draft, selected), sel.parentId ?? '');
                  }}
                  onMove={(d) => edit(moveItem(draft, selected, d))}
                  onReparent={(parentId) => {
                    const r = reparentItem(draft, selected, parentId);
                    edit(r.breakdown, r.id);
                  }}
                />
              ) : (
                <p className="empty">Select an item in the tree to edit it.</p>
              )}
            </div>
          </div>
        </section>
      ) : (
        <section className="panel">
          <h2>Breakdown</h2>
          <p className="muted">{OPEN.includes(job.state) ? 'Not generated yet; this page updates by itself.' : 'No breakdown is stored for this job.'}</p>
        </section>
      )}

      <section className="panel" aria-labelledby="diff-title">
        <h2 id="diff-title">Changes against the generated version</h2>
        <DiffPanel diff={detail.breakdown.diff} onSelect={setSelected} />
      </section>

      <section className="panel" aria-labelledby="dup-title">
        <h2 id="dup-title">Possible duplicates in Jira</h2>
        <DuplicatesPanel
          items={duplicates}
          decisions={detail.duplicates.decisions}
          noLongerOnPage={detail.duplicates.noLongerOnPage ?? []}
          searchedAt={detail.duplicates.searchedAt}
          canDecide={inReview}
          busy={busy}
          onSearch={() => void searchDuplicates()}
          onDecide={(i, k, d) => void decide(i, k, d)}
          onSelect={setSelected}
        />
      </section>

      <details className="panel">
        <summary>
          <h2>Audit ({detail.audit.length})</h2>
        </summary>
        <AuditPanel audit={detail.audit} />
      </details>
    </section>
  );
}
