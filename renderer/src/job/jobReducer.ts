// The job page's state in one place: the job as loaded, the reviewer's draft of its breakdown, what
// is selected (an item, a page block), the open dialog and the outcome of the last request. Every
// change is a named action, so a screen event and the hooks (loading, local drafts) change state the
// same way and the rules ("a reload keeps unsaved edits") live here, not in handlers.

import type { ApiFailure } from '../api/client.ts';
import type { JobDetailResponse } from '../../../core/server/admin.ts';
import type { Breakdown } from '../../../core/breakdown/schema.ts';
import { locate } from './breakdownEdit.ts';

export type Dialog = 'none' | 'approve' | 'reject';

export interface JobViewState {
  detail: JobDetailResponse | null;
  loadError: ApiFailure | null;
  /** The last saved version's breakdown (what Save compares against). */
  saved: Breakdown | null;
  /** What the reviewer sees and edits; equals `saved` until an edit. */
  draft: Breakdown | null;
  dirty: boolean;
  selected: string | null;
  selectedBlock: string | null;
  saveError: ApiFailure | null;
  actionError: ApiFailure | null;
  notice: string | null;
  busy: boolean;
  dialog: Dialog;
  /** Set when the draft came back from local storage (after a reload, a crash or an expired session). */
  restoredAt: string | null;
}

export type JobAction =
  | { type: 'loaded'; detail: JobDetailResponse; keepDraft: boolean }
  | { type: 'loadFailed'; error: ApiFailure }
  | { type: 'edited'; draft: Breakdown; select?: string }
  | { type: 'select'; id: string | null }
  | { type: 'selectBlock'; id: string | null }
  | { type: 'busy' }
  | { type: 'saveFailed'; error: ApiFailure }
  | { type: 'saved'; versionNo: number }
  | { type: 'actionFailed'; error: ApiFailure | null }
  | { type: 'notice'; text: string | null }
  | { type: 'dialog'; dialog: Dialog }
  | { type: 'restored'; draft: Breakdown; savedAt: string }
  | { type: 'discarded' };

export const initialJobView: JobViewState = {
  detail: null,
  loadError: null,
  saved: null,
  draft: null,
  dirty: false,
  selected: null,
  selectedBlock: null,
  saveError: null,
  actionError: null,
  notice: null,
  busy: false,
  dialog: 'none',
  restoredAt: null,
};

const firstItem = (b: Breakdown | null): string | null => b?.epics[0]?.stories[0]?.id ?? b?.epics[0]?.id ?? null;
const keepSelection = (id: string | null, b: Breakdown | null): string | null => (id && b && locate(b, id) ? id : firstItem(b));

export function jobReducer(s: JobViewState, a: JobAction): JobViewState {
  switch (a.type) {
    case 'loaded': {
      const saved = (a.detail.breakdown.latest?.body ?? null) as Breakdown | null;
      if (a.keepDraft && s.dirty) return { ...s, detail: a.detail, saved, loadError: null, busy: false };
      return { ...s, detail: a.detail, saved, draft: saved, dirty: false, loadError: null, busy: false, selected: keepSelection(s.selected, saved) };
    }
    case 'loadFailed':
      return { ...s, loadError: a.error, busy: false };
    case 'edited':
      return { ...s, draft: a.draft, dirty: true, notice: null, selected: a.select !== undefined ? a.select || null : s.selected };
    case 'select':
      return s.selected === a.id ? s : { ...s, selected: a.id };
    case 'selectBlock':
      return { ...s, selectedBlock: a.id };
    case 'busy':
      return { ...s, busy: true };
    case 'saveFailed':
      return { ...s, busy: false, saveError: a.error };
    case 'saved':
      return { ...s, busy: false, saveError: null, dirty: false, restoredAt: null, notice: `Saved as version ${a.versionNo}.` };
    case 'actionFailed':
      return { ...s, busy: false, actionError: a.error };
    case 'notice':
      return { ...s, busy: false, actionError: null, notice: a.text, dialog: 'none' };
    case 'dialog':
      return { ...s, dialog: a.dialog, actionError: null };
    case 'restored':
      return { ...s, draft: a.draft, dirty: true, restoredAt: a.savedAt, selected: keepSelection(s.selected, a.draft) };
    case 'discarded':
      return { ...s, draft: s.saved, dirty: false, saveError: null, restoredAt: null, notice: 'Edits discarded.', selected: keepSelection(s.selected, s.saved) };
    default:
      void (a satisfies never);
      return s;
  }
}
