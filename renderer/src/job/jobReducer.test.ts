import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseBreakdown } from '../../../core/breakdown/schema.ts';
import type { JobDetailResponse } from '../../../core/server/admin.ts';
import { initialJobView, jobReducer } from './jobReducer.ts';
import { updateItem } from './breakdownEdit.ts';

const breakdown = (title: string) => parseBreakdown({ generator: { kind: 'drafter' }, epics: [{ id: 'E1', title: 'Checkout', stories: [{ id: 'S1.1', title }] }] });
const detail = (title: string, versionNo: number) => ({ breakdown: { latest: { versionNo, body: breakdown(title) } } }) as unknown as JobDetailResponse;

describe('the job page state', () => {
  test('a pushed reload keeps unsaved edits; after a save the new version replaces the draft', () => {
    let s = jobReducer(initialJobView, { type: 'loaded', detail: detail('Saved cards', 1), keepDraft: true });
    assert.equal(s.selected, 'S1.1', 'the first story is selected');
    assert.equal(s.dirty, false);
    s = jobReducer(s, { type: 'edited', draft: updateItem(s.draft!, 'S1.1', { title: 'Typed' }) });
    s = jobReducer(s, { type: 'loaded', detail: detail('Saved cards', 1), keepDraft: true });
    assert.equal(s.draft?.epics[0]?.stories[0]?.title, 'Typed', 'the event did not overwrite the edit');
    assert.equal(s.dirty, true);
    s = jobReducer(s, { type: 'saved', versionNo: 2 });
    s = jobReducer(s, { type: 'loaded', detail: detail('Typed', 2), keepDraft: true });
    assert.equal(s.dirty, false);
    assert.equal(s.notice, 'Saved as version 2.');
  });

  test('a restored draft is dirty and remembers when it was kept; discarding returns to the saved version', () => {
    let s = jobReducer(initialJobView, { type: 'loaded', detail: detail('Saved cards', 1), keepDraft: true });
    s = jobReducer(s, { type: 'restored', draft: breakdown('From the browser'), savedAt: '2026-12-02T10:00:00.000Z' });
    assert.equal(s.dirty, true);
    assert.equal(s.restoredAt, '2026-12-02T10:00:00.000Z');
    s = jobReducer(s, { type: 'discarded' });
    assert.equal(s.draft?.epics[0]?.stories[0]?.title, 'Saved cards');
    assert.equal(s.dirty, false);
    assert.equal(s.restoredAt, null);
  });
});
