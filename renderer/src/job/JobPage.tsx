// One job under review, as a workspace: the breakdown tree, the item editor and the page the items
// come from, side by side; then coverage and findings, the diff, possible duplicates, created issues
// and the audit. State lives in jobReducer; loading, the local draft and the leave warning are hooks.
// Edits stay in a draft (kept in this browser until saved) so nothing typed is lost: a refused save
// keeps it and marks the fields the API named.

import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { ServerEvents } from '../api/useServerEvents.ts';
import type { DuplicateDecisionKind } from '../../../core/store/types.ts';
import type { Breakdown, ItemLevel, WorkItem } from '../../../core/breakdown/schema.ts';
import type { Finding } from '../../../core/breakdown/findings.ts';
import type { SpecBlock } from '../../../core/spec/types.ts';
import { STATE_LABELS, countsText, when } from '../app/format.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';
import { useLeaveGuard } from '../app/leaveGuard.ts';
import { BreakdownTree, type TreeMarks } from './BreakdownTree.tsx';
import { ItemEditor } from './ItemEditor.tsx';
import { PageView } from './PageView.tsx';
import { AuditPanel, DiffPanel, DuplicatesPanel, IssuesPanel, QualityPanel, duplicatesOf, reportOf } from './JobPanels.tsx';
import { ApproveDialog, RejectDialog, approvalSummary, progressText, type ApprovalSummary } from './JobDecisions.tsx';
import { addItem, addStoryFromBlock, citationsByBlock, citeBlock, deleteItem, fieldErrorsByItem, locate, moveItem, reparentItem, unciteBlock, updateItem, type ItemPatch } from './breakdownEdit.ts';
import { initialJobView, jobReducer, type JobViewState } from './jobReducer.ts';
import { useJobDetail, useJobPage } from './useJobData.ts';
import { useLocalDraft } from './useLocalDraft.ts';
import { ProjectTarget } from './ProjectTarget.tsx';
import { ResyncPanel } from './ResyncPanel.tsx';

const OPEN = ['queued', 'fetching', 'generating', 'awaiting_review', 'approved', 'creating'];
const LEAVE_MESSAGE = 'This breakdown has unsaved edits. Leave anyway? (They stay in this browser and come back when you open the job again.)';
const EMPTY = new Set<string>();

/** Items of the draft that differ from the saved version (same object: unchanged, thanks to structural sharing). */
function unsavedItems(saved: Breakdown | null, draft: Breakdown | null): Set<string> {
  const out = new Set<string>();
  if (!draft || !saved || saved === draft) return out;
  const before = new Map<string, WorkItem>();
  const own = (x: WorkItem) => JSON.stringify({ ...x, stories: undefined, subtasks: undefined });
  const walk = (b: Breakdown, fn: (x: WorkItem, parent: string) => void) => {
    for (const e of b.epics) {
      fn(e, '');
      for (const s of e.stories) {
        fn(s, e.id);
        for (const t of s.subtasks) fn(t, s.id);
      }
    }
  };
  const parentBefore = new Map<string, string>();
  walk(saved, (x, parent) => {
    before.set(x.id, x);
    parentBefore.set(x.id, parent);
  });
  walk(draft, (x, parent) => {
    const old = before.get(x.id);
    if (old === x) return;
    if (!old || parentBefore.get(x.id) !== parent || own(old) !== own(x)) out.add(x.id);
  });
  return out;
}

/** A value recomputed only when `key` changes (a content key where identity changes too often). */
function useKeyed<T>(key: string, compute: () => T): T {
  const cache = useRef<{ key: string; value: T } | null>(null);
  if (!cache.current || cache.current.key !== key) cache.current = { key, value: compute() };
  return cache.current.value;
}

export function JobPage({ api, jobId, events }: { api: ApiClient; jobId: string; events: ServerEvents }) {
  const [state, dispatch] = useReducer(jobReducer, initialJobView);
  const ref = useRef<JobViewState>(state);
  ref.current = state;
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
  const inReview = detail?.job.state === 'awaiting_review';
  useLocalDraft({ jobId, versionNo: detail?.breakdown.latest?.versionNo ?? null, editable: inReview, draft, dirty, dispatch });
  useLeaveGuard(dirty, LEAVE_MESSAGE);

  // ---- derived data, memoised so a keystroke recomputes only what it touches ----
  const blocks = useMemo(() => new Map<string, SpecBlock>(page?.blocks.map((b) => [b.id, b]) ?? []), [page]);
  const blockOptions = useMemo(
    () =>
      page?.blocks
        .filter((b) => b.kind !== 'image')
        .map((b) => (
          <option key={b.id} value={b.id}>
            {b.tags.length ? '● ' : ''}
            {b.text.length > 90 ? `${b.text.slice(0, 89)}…` : b.text}
          </option>
        )) ?? null,
    [page],
  );
  const citeKey = useMemo(() => {
    // The citations change only when some item's sources do; a string key keeps the page view still while typing.
    if (!draft) return '';
    const parts: string[] = [];
    for (const e of draft.epics) {
      parts.push(e.id, e.sources.join(','));
      for (const s of e.stories) {
        parts.push(s.id, s.sources.join(','));
        for (const t of s.subtasks) parts.push(t.id, t.sources.join(','));
      }
    }
    return parts.join('|');
  }, [draft]);
  const citations = useKeyed(citeKey, () => (draft ? citationsByBlock(draft) : new Map<string, string[]>()));
  const selItem = selected && draft ? locate(draft, selected) : undefined;
  const selSources = selItem?.item.sources;
  const highlighted = useMemo(() => new Set(selSources ?? []), [selSources]);

  const reportInfo = useMemo(() => (detail ? reportOf(detail) : { report: null, error: null }), [detail]);
  const findingsByItem = useMemo(() => {
    const m = new Map<string, Finding[]>();
    for (const f of reportInfo.report?.findings ?? []) if (f.itemId) m.set(f.itemId, [...(m.get(f.itemId) ?? []), f]);
    return m;
  }, [reportInfo]);
  const invalid = useMemo(() => (draft && state.saveError ? fieldErrorsByItem(draft, state.saveError.fields) : new Map<string, Set<string>>()), [draft, state.saveError]);
  const unsaved = useMemo(() => unsavedItems(state.saved, draft), [state.saved, draft]);
  // Keyed by the set's contents, so typing in an already unsaved item keeps the marks object (and the tree) as is.
  const stableUnsaved = useKeyed([...unsaved].join(','), () => unsaved);
  const invalidIds = useMemo(() => new Set(invalid.keys()), [invalid]);
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
    return { changed, errors, warnings, invalid: invalidIds, existing, unsaved: stableUnsaved };
  }, [detail, findingsByItem, invalidIds, stableUnsaved]);
  const duplicates = useMemo(() => (detail ? duplicatesOf(detail) : []), [detail]);

  // ---- actions; stable callbacks reading the current state through the ref ----
  const edit = useCallback((next: Breakdown, select?: string) => dispatch({ type: 'edited', draft: next, select }), []);
  const select = useCallback((id: string | null) => dispatch({ type: 'select', id }), []);
  const selectBlock = useCallback((id: string | null) => dispatch({ type: 'selectBlock', id }), []);
  const showInEditor = useCallback((id: string, focusTitle = false) => {
    dispatch({ type: 'select', id });
    requestAnimationFrame(() => {
      editorRef.current?.scrollIntoView({ block: 'nearest' });
      if (focusTitle) editorRef.current?.querySelector<HTMLInputElement>('[data-editor-title]')?.focus();
    });
  }, []);
  const showBlock = useCallback((blockId: string) => {
    dispatch({ type: 'selectBlock', id: blockId });
    requestAnimationFrame(() => document.querySelector(`.page-view [data-block-id="${CSS.escape(blockId)}"]`)?.scrollIntoView({ block: 'center' }));
  }, []);
  const withDraft = useCallback((fn: (d: Breakdown, sel: string | null) => { breakdown: Breakdown; id?: string } | Breakdown | undefined) => {
    const { draft: d, selected: s } = ref.current;
    if (!d) return;
    const r = fn(d, s);
    if (!r) return;
    if ('epics' in r) edit(r);
    else edit(r.breakdown, r.id);
  }, [edit]);
  const cite = useCallback((blockId: string) => withDraft((d, s) => (s ? citeBlock(d, s, blockId) : undefined)), [withDraft]);
  const uncite = useCallback((blockId: string) => withDraft((d, s) => (s ? unciteBlock(d, s, blockId) : undefined)), [withDraft]);
  const addStory = useCallback(
    (blockId: string) =>
      withDraft((d, s) => {
        const block = blocks.get(blockId);
        if (!block) return undefined;
        const at = s ? locate(d, s) : undefined;
        const epic = at ? (at.level === 'epic' ? at.item.id : at.level === 'story' ? at.parentId : locate(d, at.parentId ?? '')?.parentId ?? null) : null;
        return addStoryFromBlock(d, epic, block);
      }),
    [withDraft, blocks],
  );
  const askDelete = useCallback(
    (id: string) => {
      const d = ref.current.draft;
      const at = d ? locate(d, id) : undefined;
      if (!d || !at || ref.current.detail?.job.state !== 'awaiting_review') return;
      if (window.confirm(`Delete ${id}${at.level === 'subtask' ? '' : ' and everything under it'}?`)) edit(deleteItem(d, id), at.parentId ?? '');
    },
    [edit],
  );
  const openItem = useCallback((id: string) => showInEditor(id, true), [showInEditor]);

  const save = useCallback(async () => {
    const { draft: d, dirty: isDirty } = ref.current;
    if (!d || !isDirty) return;
    dispatch({ type: 'busy' });
    const r = await api.saveBreakdown(jobId, d);
    if (!r.ok) return dispatch({ type: 'saveFailed', error: r });
    dispatch({ type: 'saved', versionNo: r.data.versionNo });
    await reload(false);
  }, [api, jobId, reload]);

  // Ctrl/Cmd+S saves wherever the focus is.
  useEffect(() => {
    if (!inReview) return;
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') {
        e.preventDefault();
        void save();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [inReview, save]);

  const afterAction = async (r: Awaited<ReturnType<ApiClient['jobAction']>>, text?: string) => {
    if (!r.ok) return dispatch({ type: 'actionFailed', error: r });
    dispatch({ type: 'notice', text: text ?? `Job ${STATE_LABELS[r.data.state].toLowerCase()}.` });
    await reload(false);
  };
  const act = async (action: 'reject' | 'cancel' | 'retry', why?: string) => {
    dispatch({ type: 'busy' });
    await afterAction(await api.jobAction(jobId, action, why));
  };
  const approve = async (summary: ApprovalSummary) => {
    dispatch({ type: 'busy' });
    await afterAction(await api.approve(jobId, summary));
  };
  const searchDuplicates = useCallback(async () => {
    dispatch({ type: 'busy' });
    const r = await api.searchDuplicates(jobId);
    dispatch({ type: 'actionFailed', error: r.ok ? null : r });
    await reload(true);
  }, [api, jobId, reload]);
  const decide = useCallback(
    async (itemId: string, key: string, decision: DuplicateDecisionKind) => {
      dispatch({ type: 'busy' });
      const r = await api.decideDuplicate(jobId, itemId, key, decision);
      dispatch({ type: 'actionFailed', error: r.ok ? null : r });
      await reload(true);
    },
    [api, jobId, reload],
  );
  const changeProject = async (projectKey: string | null) => {
    dispatch({ type: 'busy' });
    const r = await api.setProject(jobId, projectKey);
    if (!r.ok) dispatch({ type: 'actionFailed', error: r });
    else {
      const target = projectKey ? `Issues will be created in ${projectKey}.` : 'Issues will be created in the backend default project.';
      dispatch({ type: 'notice', text: r.data.duplicatesCleared ? `${target} ${r.data.duplicatesCleared.message}` : target });
    }
    await reload(true);
  };
  const onSearch = useCallback(() => void searchDuplicates(), [searchDuplicates]);
  const onDecide = useCallback((i: string, k: string, d: DuplicateDecisionKind) => void decide(i, k, d), [decide]);

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
  if (!detail) return <p className="loading">Loading job…</p>;

  const job = detail.job;
  const latest = detail.breakdown.latest;
  const progress = progressText(job);
  const add = (level: ItemLevel, parentId: string | null) => withDraft((d) => addItem(d, level, parentId));
  const hasBreakdown = !!draft;

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
              <button type="button" className="approve" disabled={busy || dirty} title={dirty ? 'Save or discard your edits first' : undefined} onClick={() => dispatch({ type: 'dialog', dialog: 'approve' })}>
                Approve and create in Jira
              </button>
              <button type="button" disabled={busy} onClick={() => dispatch({ type: 'dialog', dialog: state.dialog === 'reject' ? 'none' : 'reject' })} aria-expanded={state.dialog === 'reject'}>
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
        </div>
      </div>

      {state.dialog === 'approve' && inReview && draft && (
        <ApproveDialog summary={approvalSummary(detail, draft)} blocks={blocks} busy={busy} onApprove={(s) => void approve(s)} onClose={() => dispatch({ type: 'dialog', dialog: 'none' })} />
      )}
      {state.dialog === 'reject' && inReview && <RejectDialog busy={busy} onReject={(r) => void act('reject', r)} onClose={() => dispatch({ type: 'dialog', dialog: 'none' })} />}

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
            {dirty ? `Unsaved edits in ${unsaved.size} item${unsaved.size === 1 ? '' : 's'} · kept in this browser until saved` : 'All edits saved'}
            <span className="muted"> · Ctrl+S saves</span>
          </span>
          <button type="button" className="primary" disabled={busy || !dirty} onClick={() => void save()}>
            Save
          </button>
          {dirty && (
            <button type="button" disabled={busy} onClick={() => dispatch({ type: 'discarded' })}>
              Discard edits
            </button>
          )}
        </div>
      )}

      {hasBreakdown ? (
        <section className="panel" aria-labelledby="breakdown-title">
          <div className="panel-head">
            <h2 id="breakdown-title">Breakdown</h2>
            {inReview && (
              <button type="button" className="small-button" onClick={() => add('epic', null)}>
                Add epic
              </button>
            )}
          </div>
          <div className="workspace">
            <div className="ws-tree">
              <BreakdownTree breakdown={draft} selected={selected} onSelect={select} marks={marks} onOpen={openItem} onDelete={inReview ? askDelete : undefined} />
            </div>
            <div className="ws-editor" ref={editorRef}>
              {selItem && selected ? (
                <ItemEditor
                  key={selected}
                  breakdown={draft}
                  itemId={selected}
                  readOnly={!inReview}
                  invalidFields={invalid.get(selected) ?? EMPTY}
                  findings={findingsByItem.get(selected) ?? []}
                  duplicates={duplicates.find((d) => d.itemId === selected)}
                  onChange={(patch: ItemPatch) => withDraft((d) => updateItem(d, selected, patch))}
                  onAddChild={() => add(selItem.level === 'epic' ? 'story' : 'subtask', selected)}
                  onDelete={() => askDelete(selected)}
                  onMove={(delta) => withDraft((d) => moveItem(d, selected, delta))}
                  onReparent={(parentId) => withDraft((d) => reparentItem(d, selected, parentId))}
                  blocks={page ? blocks : null}
                  blockOptions={blockOptions}
                  onCite={cite}
                  onUncite={uncite}
                  onShowBlock={showBlock}
                />
              ) : (
                <p className="empty">Select an item in the tree to edit it.</p>
              )}
            </div>
            <div className="ws-page">
              <h3 className="ws-page-title">The page</h3>
              {page && settled ? (
                <PageView
                  page={page}
                  citations={citations}
                  highlighted={highlighted}
                  selectedItem={selected}
                  selectedBlock={state.selectedBlock}
                  editable={inReview}
                  onSelectBlock={selectBlock}
                  onSelectItem={showInEditor}
                  onCite={cite}
                  onUncite={uncite}
                  onAddStory={addStory}
                />
              ) : (
                <p className="muted">{pageData?.reason ?? (detail.snapshot?.purged ? 'The page snapshot was deleted by the retention policy.' : 'Loading the page…')}</p>
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

      {hasBreakdown && settled && (
        <section className="panel" aria-labelledby="quality-title">
          <h2 id="quality-title">Coverage and findings</h2>
          <QualityPanel detail={detail} blocks={blocks} canEdit={inReview} onSelect={showInEditor} onShowBlock={showBlock} onAddStory={addStory} />
          {draft.warnings.length > 0 && (
            <ul className="findings">
              {draft.warnings.map((w, i) => (
                <li key={i} className="finding finding-warning">
                  <span className="sev">warning</span> {w}
                </li>
              ))}
            </ul>
          )}
        </section>
      )}

      {hasBreakdown && settled && (
        <section className="panel" aria-labelledby="diff-title">
          <h2 id="diff-title">Changes against the generated version</h2>
          <DiffPanel diff={detail.breakdown.diff} before={(detail.breakdown.generated?.body ?? null) as Breakdown | null} after={state.saved} onSelect={showInEditor} />
        </section>
      )}

      {hasBreakdown && settled && (inReview || duplicates.length > 0) && (
        <section className="panel" aria-labelledby="dup-title">
          <h2 id="dup-title">Possible duplicates in Jira</h2>
          <DuplicatesPanel
            items={duplicates}
            decisions={detail.duplicates.decisions}
            noLongerOnPage={detail.duplicates.noLongerOnPage ?? []}
            searchedAt={detail.duplicates.searchedAt}
            canDecide={inReview}
            busy={busy}
            onSearch={onSearch}
            onDecide={onDecide}
            onSelect={showInEditor}
          />
        </section>
      )}

      {hasBreakdown && <ResyncPanel api={api} jobId={jobId} editable={inReview} refreshKey={`${job.updatedAt}|${detail.duplicates.searchedAt ?? ''}|${latest?.versionNo ?? 0}`} />}

      <details className="panel">
        <summary>
          <h2>Audit ({detail.audit.length})</h2>
        </summary>
        <AuditPanel audit={detail.audit} />
      </details>
    </section>
  );
}
