// What the reviewer can do on the job page, as stable callbacks reading the current state through a
// ref (so the memoised tree and page view do not re-render when a handler would otherwise change):
// edits of the draft (cite, uncite, add a story from a block, add, delete), selection, save (and
// Ctrl/Cmd+S), the decisions (approve, reject, cancel, retry), duplicate decisions and the target
// project. Every outcome goes through the reducer.

import { useCallback, useEffect, useRef, type Dispatch, type RefObject } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { DuplicateDecisionKind } from '../../../core/store/types.ts';
import type { Breakdown, ItemLevel } from '../../../core/breakdown/schema.ts';
import type { SpecBlock } from '../../../core/spec/types.ts';
import { STATE_LABELS } from '../app/format.ts';
import type { ApprovalSummary } from './JobDecisions.tsx';
import { addItem, addStoryFromBlock, citeBlock, deleteItem, locate, unciteBlock } from './breakdownEdit.ts';
import type { JobAction, JobViewState } from './jobReducer.ts';

type DraftChange = (d: Breakdown, selected: string | null) => { breakdown: Breakdown; id?: string } | Breakdown | undefined;

export function useJobActions(p: {
  api: ApiClient;
  jobId: string;
  state: JobViewState;
  dispatch: Dispatch<JobAction>;
  reload: (keepDraft: boolean) => Promise<void>;
  blocks: ReadonlyMap<string, SpecBlock>;
  /** Where the item editor is, to scroll it into view and focus its title. */
  editor: RefObject<HTMLDivElement>;
}) {
  const { api, jobId, dispatch, reload, blocks, editor } = p;
  const ref = useRef<JobViewState>(p.state);
  ref.current = p.state;
  const inReview = p.state.detail?.job.state === 'awaiting_review';

  const edit = useCallback((next: Breakdown, select?: string) => dispatch({ type: 'edited', draft: next, select }), [dispatch]);
  const select = useCallback((id: string | null) => dispatch({ type: 'select', id }), [dispatch]);
  const selectBlock = useCallback((id: string | null) => dispatch({ type: 'selectBlock', id }), [dispatch]);
  const showInEditor = useCallback(
    (id: string, focusTitle = false) => {
      dispatch({ type: 'select', id });
      requestAnimationFrame(() => {
        editor.current?.scrollIntoView({ block: 'nearest' });
        if (focusTitle) editor.current?.querySelector<HTMLInputElement>('[data-editor-title]')?.focus();
      });
    },
    [dispatch, editor],
  );
  const openItem = useCallback((id: string) => showInEditor(id, true), [showInEditor]);
  const showBlock = useCallback(
    (blockId: string) => {
      dispatch({ type: 'selectBlock', id: blockId });
      requestAnimationFrame(() => document.querySelector(`.page-view [data-block-id="${CSS.escape(blockId)}"]`)?.scrollIntoView({ block: 'center' }));
    },
    [dispatch],
  );
  /** Applies a change to the current draft; a result with an id selects that item. */
  const withDraft = useCallback(
    (fn: DraftChange) => {
      const { draft: d, selected: s } = ref.current;
      if (!d) return;
      const r = fn(d, s);
      if (!r) return;
      if ('epics' in r) edit(r);
      else edit(r.breakdown, r.id);
    },
    [edit],
  );
  const cite = useCallback((blockId: string) => withDraft((d, s) => (s ? citeBlock(d, s, blockId) : undefined)), [withDraft]);
  const uncite = useCallback((blockId: string) => withDraft((d, s) => (s ? unciteBlock(d, s, blockId) : undefined)), [withDraft]);
  const addStory = useCallback(
    (blockId: string) =>
      withDraft((d, s) => {
        const block = blocks.get(blockId);
        if (!block) return undefined;
        const at = s ? locate(d, s) : undefined;
        const epic = at ? (at.level === 'epic' ? at.item.id : at.level === 'story' ? at.parentId : (locate(d, at.parentId ?? '')?.parentId ?? null)) : null;
        return addStoryFromBlock(d, epic, block);
      }),
    [withDraft, blocks],
  );
  const add = useCallback((level: ItemLevel, parentId: string | null) => withDraft((d) => addItem(d, level, parentId)), [withDraft]);
  const askDelete = useCallback(
    (id: string) => {
      const d = ref.current.draft;
      const at = d ? locate(d, id) : undefined;
      if (!d || !at || ref.current.detail?.job.state !== 'awaiting_review') return;
      if (window.confirm(`Delete ${id}${at.level === 'subtask' ? '' : ' and everything under it'}?`)) edit(deleteItem(d, id), at.parentId ?? '');
    },
    [edit],
  );

  const save = useCallback(async () => {
    const { draft: d, dirty: isDirty } = ref.current;
    if (!d || !isDirty) return;
    dispatch({ type: 'busy' });
    const r = await api.saveBreakdown(jobId, d);
    if (!r.ok) return dispatch({ type: 'saveFailed', error: r });
    dispatch({ type: 'saved', versionNo: r.data.versionNo });
    await reload(false);
  }, [api, jobId, reload, dispatch]);

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
    const r = await api.approve(jobId, summary);
    await afterAction(r);
    // Refused for gaps the dialog did not show (the breakdown changed meanwhile): read the job again so
    // the dialog lists them, keeping any unsaved edits.
    if (!r.ok && ['uncovered_requirements', 'error_findings', 'uncovered_changed'].includes(r.code)) await reload(true);
  };
  const searchDuplicates = useCallback(async () => {
    dispatch({ type: 'busy' });
    const r = await api.searchDuplicates(jobId);
    dispatch({ type: 'actionFailed', error: r.ok ? null : r });
    await reload(true);
  }, [api, jobId, reload, dispatch]);
  const decide = useCallback(
    async (itemId: string, key: string, decision: DuplicateDecisionKind) => {
      dispatch({ type: 'busy' });
      const r = await api.decideDuplicate(jobId, itemId, key, decision);
      dispatch({ type: 'actionFailed', error: r.ok ? null : r });
      await reload(true);
    },
    [api, jobId, reload, dispatch],
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
  const closeDialog = useCallback(() => dispatch({ type: 'dialog', dialog: 'none' }), [dispatch]);

  return { withDraft, select, selectBlock, showInEditor, openItem, showBlock, cite, uncite, addStory, add, askDelete, save, act, approve, changeProject, onSearch, onDecide, closeDialog };
}

export type JobActions = ReturnType<typeof useJobActions>;
