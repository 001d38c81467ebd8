// How the audit section puts a newly read newest page in front of the rows it shows: only the rows it
// has not shown when the page reaches back to them (older pages read so far and their cursor stay),
// the page alone when more rows arrived than a page holds (nothing between is skipped: it is one
// "Show older" away).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEntry } from '../../../core/store/types.ts';
import { mergeNewest, type AuditState } from './useJobData.ts';

const row = (id: number): AuditEntry => ({ id, jobId: 'j1', actor: 'ann', action: 'review.note', details: { id }, at: '2026-12-03T09:00:00.000Z' });
/** Rows `from` down to `to`, newest first. */
const rows = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => row(from - i));
const ids = (s: AuditState) => (s.status === 'ready' ? s.entries.map((e) => e.id) : []);

describe('the audit section\'s newest page', () => {
  test('the first page is shown as read', () => {
    const s = mergeNewest(null, { jobId: 'j1', entries: rows(100, 51), nextBefore: 51 });
    assert.deepEqual(ids(s), rows(100, 51).map((e) => e.id));
    assert.equal(s.nextBefore, 51);
  });

  test('a page that reaches the rows shown adds only its newer rows and keeps the older pages and their cursor', () => {
    const shown = { status: 'ready', entries: rows(100, 1), nextBefore: null, older: null, newer: 'an earlier failure' } as const;
    const s = mergeNewest(shown, { jobId: 'j1', entries: rows(103, 54), nextBefore: 54 });
    assert.deepEqual(ids(s), rows(103, 1).map((e) => e.id), 'three new rows on top, nothing twice, nothing lost');
    assert.equal(s.nextBefore, null, 'the older pages already read stay read');
    assert.equal(s.newer, null, 'a read that worked clears the failure');
    assert.equal(mergeNewest(shown, { jobId: 'j1', entries: rows(100, 51), nextBefore: 51 }).entries, shown.entries, 'nothing new: the same rows');
  });

  test('more new rows than a page: the page replaces the rows shown, and its cursor leads to the rest', () => {
    const shown = { status: 'ready', entries: rows(100, 51), nextBefore: 51, older: 'loading', newer: null } as const;
    const s = mergeNewest(shown, { jobId: 'j1', entries: rows(200, 151), nextBefore: 151 });
    assert.deepEqual(ids(s), rows(200, 151).map((e) => e.id));
    assert.equal(s.nextBefore, 151, 'rows 150 down to 101 are the next older page, not skipped');
    assert.equal(s.older, null, 'an older page on its way belongs to the rows replaced');
  });

  test('a short log read again in full is taken as it is', () => {
    const shown = { status: 'ready' as const, entries: [], nextBefore: null, older: null, newer: null };
    const s = mergeNewest(shown, { jobId: 'j1', entries: rows(3, 1), nextBefore: null });
    assert.deepEqual(ids(s), [3, 2, 1]);
  });
});
