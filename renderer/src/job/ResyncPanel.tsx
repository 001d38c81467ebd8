// Re-sync of a page broken down again: what changed on the page since the issues were written (block
// lineage with word diffs), a before/after proposal per issue whose requirement was reworded, issues
// whose requirement left the page, and issues someone changed in Jira. The reviewer accepts, edits or
// declines each proposal; the counts say what approval will do (the approve dialog shows the same
// counts, from the same loaded plan), and an update says which accepted fields will go into the
// re-sync comment because the issue's edit screen in Jira lacks them. Nothing shows for a first breakdown.

import { Fragment, useCallback, useState } from 'react';
import type { ApiClient, ApiFailure } from '../api/client.ts';
import type { ResyncDecisionRequest, ResyncResponse } from '../../../core/server/resyncRoutes.ts';
import type { FieldChange, JiraDrift, MarkProposal, ResyncAction, UpdateProposal } from '../../../core/jobs/resync.ts';
import type { WordDiffPart } from '../../../core/jobs/lineage.ts';
import type { ResyncField, ResyncStepRecord } from '../../../core/jobs/resyncStore.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';
import { wordList } from '../app/format.ts';
import type { ResyncState } from './useResync.ts';

const FIELD_LABELS: Record<ResyncField, string> = { summary: 'Summary', description: 'Description', acceptanceCriteria: 'Acceptance criteria', estimate: 'Estimate' };

function Diff({ parts }: { parts: WordDiffPart[] }) {
  return (
    <span className="word-diff">
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p.op === 'same' ? p.text : p.op === 'added' ? <ins className="diff-added">{p.text}</ins> : <del className="diff-removed">{p.text}</del>}{' '}
        </Fragment>
      ))}
    </span>
  );
}

const show = (v: FieldChange['before']) => (Array.isArray(v) ? v.map((x) => `• ${x}`).join('\n') : v === null ? '—' : String(v));

function Drift({ drift }: { drift: JiraDrift }) {
  return (
    <p className="banner banner-warning" role="note">
      <strong>Changed in Jira.</strong> {drift.message}. It is not overwritten unless you choose to.
    </p>
  );
}

/** "Description, acceptance criteria" */
const fieldList = (fields: readonly ResyncField[]) => wordList(fields.map((f, i) => (i === 0 ? FIELD_LABELS[f] : FIELD_LABELS[f].toLowerCase())));

/** The accepted fields the issue's edit screen in Jira lacks: approval puts their new text into the re-sync comment instead. */
function InComment({ p, action, edit }: { p: UpdateProposal; action: ResyncAction | undefined; edit: ResyncStepRecord | undefined }) {
  if (edit?.state === 'done') {
    return edit.inComment.length ? (
      <p className="banner banner-warning" role="note">
        <strong>In the comment.</strong> {fieldList(edit.inComment)} went into the re-sync comment on the issue, not into its fields.
      </p>
    ) : null;
  }
  if (action?.action === 'decline') return null;
  const c = action?.action === 'update' ? action : p;
  if (c.inComment === undefined) {
    return p.editScreenUnknown ? (
      <p className="muted small" role="note">
        {p.editScreenUnknown}
      </p>
    ) : null;
  }
  if (c.inComment.length === 0) return null;
  return (
    <p className="banner banner-warning" role="note">
      <strong>Goes into a comment.</strong> {fieldList(c.inComment)} will go into a comment: {c.inCommentWhy}
      {c.inCommentFix ? ` (${c.inCommentFix})` : ''}.
    </p>
  );
}

function UpdateCard({ p, res, editable, busy, decide }: { p: UpdateProposal; res: ResyncResponse; editable: boolean; busy: boolean; decide: (key: string, d: ResyncDecisionRequest) => void }) {
  const decision = res.decisions.find((d) => d.issueKey === p.issueKey);
  const action = res.actions[p.issueKey];
  const [fields, setFields] = useState<Set<ResyncField>>(new Set(decision?.fields ?? p.changes.map((c) => c.field)));
  const [overwrite, setOverwrite] = useState(decision?.overwriteJira === true);
  const [summary, setSummary] = useState<string>(decision?.edits?.summary ?? String(p.changes.find((c) => c.field === 'summary')?.after ?? ''));
  const toggle = (f: ResyncField) => setFields((s) => (s.has(f) ? new Set([...s].filter((x) => x !== f)) : new Set([...s, f])));
  const accept = () => {
    const proposed = p.changes.find((c) => c.field === 'summary')?.after;
    const edits = fields.has('summary') && summary.trim() && summary !== proposed ? { summary: summary.trim() } : undefined;
    decide(p.issueKey, { decision: 'accept', fields: [...fields], ...(edits ? { edits } : {}), ...(overwrite ? { overwriteJira: true } : {}) });
  };
  const edit = res.steps.find((x) => x.issueKey === p.issueKey && x.step === 'edit');
  const applied = edit?.state === 'done';
  const words = (fs: readonly ResyncField[]) => wordList(fs.map((f) => FIELD_LABELS[f].toLowerCase()));
  const willUpdate = (a: Extract<ResyncAction, { action: 'update' }>) => {
    const commented = a.inComment ?? [];
    const written = a.fields.filter((f) => !commented.includes(f));
    if (commented.length === 0) return `Will update ${words(written)}`;
    return written.length ? `Will update ${words(written)} and put ${words(commented)} in a comment` : `Will put ${words(commented)} in a comment`;
  };
  const status = applied ? 'Updated in Jira' : action?.action === 'update' ? willUpdate(action) : action?.action === 'hold' ? 'Held: changed in Jira' : 'Declined';
  return (
    <li className="resync-card" data-issue={p.issueKey} aria-label={`Update ${p.issueKey}`}>
      <div className="panel-head">
        <h4>
          <a href={p.issueUrl} target="_blank" rel="noreferrer">
            {p.issueKey}
          </a>{' '}
          {p.title}
        </h4>
        <span className="resync-status" data-action={action?.action ?? 'none'}>
          {status}
        </span>
      </div>
      {p.changedInJira && <Drift drift={p.changedInJira} />}
      <InComment p={p} action={action} edit={edit} />
      <table className="diff-fields">
        <thead>
          <tr>
            {editable && <th scope="col">Apply</th>}
            <th scope="col">Field</th>
            <th scope="col">Before (version {p.fromVersion ?? '?'})</th>
            <th scope="col">After (this version)</th>
          </tr>
        </thead>
        <tbody>
          {p.changes.map((c) => (
            <tr key={c.field} data-field={c.field}>
              {editable && (
                <td>
                  <input type="checkbox" aria-label={`Apply ${FIELD_LABELS[c.field]} to ${p.issueKey}`} checked={fields.has(c.field)} onChange={() => toggle(c.field)} />
                </td>
              )}
              <th scope="row">{FIELD_LABELS[c.field]}</th>
              <td className="diff-before">{show(c.before)}</td>
              <td className="diff-after">
                {editable && c.field === 'summary' ? (
                  <input aria-label={`New summary of ${p.issueKey}`} value={summary} maxLength={255} onChange={(e) => setSummary(e.target.value)} />
                ) : c.diff ? (
                  <Diff parts={c.diff} />
                ) : (
                  show(c.after)
                )}
                {editable && c.field === 'summary' && c.diff && (
                  <div className="small">
                    <Diff parts={c.diff} />
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {editable && (
        <div className="row">
          {p.changedInJira && (
            <label className="small">
              <input type="checkbox" checked={overwrite} onChange={(e) => setOverwrite(e.target.checked)} /> Overwrite the changes made in Jira
            </label>
          )}
          <button type="button" className="small-button" disabled={busy || fields.size === 0} onClick={accept}>
            Accept update
          </button>
          <button type="button" className="small-button" disabled={busy} onClick={() => decide(p.issueKey, { decision: 'decline' })}>
            Decline
          </button>
        </div>
      )}
    </li>
  );
}

/** A removed requirement's issue whose edit screen in Jira lacks Labels: approval comments on it (and moves it) without the spec-removed label. */
function Unlabelled({ m, action, label, moved, transition }: { m: MarkProposal; action: ResyncAction | undefined; label: ResyncStepRecord | undefined; moved: boolean; transition: string | null }) {
  if (label?.state === 'done') {
    return label.unlabelled ? (
      <p className="banner banner-warning" role="note">
        <strong>Not labelled.</strong> It was commented{moved ? ' (and moved)' : ''} without the spec-removed label: Labels is not on its edit screen in Jira.
      </p>
    ) : null;
  }
  if (action?.action !== 'mark') return null;
  if (!m.editScreen) {
    return m.editScreenUnknown ? (
      <p className="muted small" role="note">
        {m.editScreenUnknown}
      </p>
    ) : null;
  }
  if (!m.editScreen.lacks.includes('labels')) return null;
  return (
    <p className="banner banner-warning" role="note">
      <strong>Not labelled.</strong> Labels is not on this issue&apos;s edit screen in Jira, so it will be commented{transition ? ` (and moved to ${transition})` : ''} without the spec-removed label (add Labels to the edit screen to have it labelled).
    </p>
  );
}

function MarkCard({ m, res, editable, busy, decide }: { m: MarkProposal; res: ResyncResponse; editable: boolean; busy: boolean; decide: (key: string, d: ResyncDecisionRequest) => void }) {
  const action = res.actions[m.issueKey];
  const label = res.steps.find((x) => x.issueKey === m.issueKey && x.step === 'label');
  const unlabelled = m.editScreen?.lacks.includes('labels') === true;
  return (
    <li className="resync-card" data-issue={m.issueKey} aria-label={`Mark ${m.issueKey}`}>
      <div className="panel-head">
        <h4>
          <a href={m.issueUrl} target="_blank" rel="noreferrer">
            {m.issueKey}
          </a>{' '}
          {m.title}
        </h4>
        <span className="resync-status" data-action={action?.action ?? 'none'}>
          {label?.state === 'done'
            ? label.unlabelled
              ? 'Marked in Jira (commented, not labelled)'
              : 'Marked in Jira'
            : action?.action === 'mark'
              ? `${unlabelled ? 'Will comment without the spec-removed label' : 'Will label spec-removed and comment'}${res.removedTransition ? `, then move to ${res.removedTransition}` : ''}`
              : 'Declined'}
        </span>
      </div>
      {m.changedInJira && <Drift drift={m.changedInJira} />}
      <Unlabelled m={m} action={action} label={label} moved={res.steps.some((x) => x.issueKey === m.issueKey && x.step === 'transition' && x.state === 'done')} transition={res.removedTransition} />
      <blockquote className="removed-text">
        {m.removedText.map((t, i) => (
          <del key={i} className="diff-removed">
            {t}
          </del>
        ))}
      </blockquote>
      {editable && (
        <div className="row">
          <button type="button" className="small-button" disabled={busy} onClick={() => decide(m.issueKey, { decision: 'accept' })}>
            Mark as removed
          </button>
          <button type="button" className="small-button" disabled={busy} onClick={() => decide(m.issueKey, { decision: 'decline' })}>
            Leave it
          </button>
        </div>
      )}
    </li>
  );
}

/** The admin's choice of a transition for issues marked removed (a backend setting, for every job). */
function RemovedTransition({ api, value, onSaved }: { api: ApiClient; value: string | null; onSaved: (v: string | null) => void }) {
  const [text, setText] = useState(value ?? '');
  const [error, setError] = useState<ApiFailure | null>(null);
  const save = () =>
    void api.saveResyncSettings(text.trim() || null).then((r) => {
      if (r.ok) {
        setError(null);
        onSaved(r.data.removedTransition);
      } else setError(r);
    });
  return (
    <div className="row small">
      <label>
        Then move them to (transition, optional){' '}
        <input aria-label="Transition for issues no longer on the page" value={text} maxLength={100} placeholder="e.g. Won't Do" onChange={(e) => setText(e.target.value)} />
      </label>
      <button type="button" className="small-button" disabled={(value ?? '') === text.trim()} onClick={save}>
        Save for all jobs
      </button>
      <ErrorBanner error={error} />
    </div>
  );
}

export function ResyncPanel({ api, jobId, editable, resync }: { api: ApiClient; jobId: string; editable: boolean; resync: ResyncState }) {
  const { res, error } = resync;
  const [busy, setBusy] = useState(false);
  const set = resync.set;
  const decide = useCallback(
    (key: string, d: ResyncDecisionRequest) => {
      setBusy(true);
      void api.decideResync(jobId, key, d).then((r) => {
        setBusy(false);
        set(r);
      });
    },
    [api, jobId, set],
  );
  const plan = res?.plan;
  if (!plan) return error ? <ErrorBanner error={error} title="The re-sync plan could not be loaded" /> : null;
  const c = res.counts;
  const changedBlocks = plan.lineage.blocks.filter((b) => b.status !== 'unchanged');
  return (
    <section className="panel" aria-labelledby="resync-title">
      <h2 id="resync-title">Update the issues this page already made</h2>
      <p role="status" aria-label="Re-sync summary">
        {c.create} to create · {c.update} to update · {c.mark} to mark · {c.unchanged} unchanged
        {c.held ? ` · ${c.held} held (changed in Jira)` : ''}
        {c.declined ? ` · ${c.declined} declined` : ''}
      </p>
      <p className="muted small">
        Page version {plan.fromVersions.join(', ')} → {plan.toVersion}: {plan.lineage.counts.changed} changed, {plan.lineage.counts.moved} moved, {plan.lineage.counts.new} new, {plan.lineage.counts.removed} removed, {plan.lineage.counts.unchanged} unchanged block(s).
        {plan.jiraCheck !== 'ok' && ` ${plan.jiraCheck}`}
      </p>
      <ErrorBanner error={error} />
      <details>
        <summary>What changed on the page ({changedBlocks.length})</summary>
        <ul className="lineage" aria-label="Page changes">
          {changedBlocks.map((b, i) => (
            <li key={i} data-status={b.status}>
              <span className={`tag tag-${b.status}`}>{b.status}</span> {b.requirementId ? <strong>{b.requirementId} </strong> : null}
              {b.diff ? <Diff parts={b.diff} /> : b.status === 'removed' ? <del className="diff-removed">{b.oldText}</del> : b.status === 'new' ? <ins className="diff-added">{b.newText}</ins> : b.newText}
              {b.status === 'moved' && b.newHeadingPath ? <span className="muted small"> → {b.newHeadingPath.join(' › ')}</span> : null}
            </li>
          ))}
        </ul>
      </details>
      {plan.updates.length > 0 && (
        <>
          <h3>Proposed updates</h3>
          <ul className="resync-list">
            {plan.updates.map((p) => (
              <UpdateCard key={`${p.issueKey}:${res.builtAt}`} p={p} res={res} editable={editable} busy={busy} decide={decide} />
            ))}
          </ul>
        </>
      )}
      {plan.marks.length > 0 && (
        <>
          <h3>No longer on the page</h3>
          {editable && <RemovedTransition api={api} value={res.removedTransition} onSaved={(v) => set({ ok: true, data: { ...res, removedTransition: v } })} />}
          <ul className="resync-list">
            {plan.marks.map((m) => (
              <MarkCard key={m.issueKey} m={m} res={res} editable={editable} busy={busy} decide={decide} />
            ))}
          </ul>
        </>
      )}
      {plan.unchanged.length > 0 && (
        <>
          <h3>Unchanged</h3>
          <ul className="resync-list" aria-label="Unchanged issues">
            {plan.unchanged.map((u) => (
              <li key={u.issueKey} data-issue={u.issueKey}>
                <a href={u.issueUrl} target="_blank" rel="noreferrer">
                  {u.issueKey}
                </a>{' '}
                {u.title}
                {u.moved && <span className="muted small"> · moved on the page</span>}
                {u.changedInJira && <Drift drift={u.changedInJira} />}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
