// A job's audit trail read a page at a time (auditPage) and its newest row of given actions
// (latestAuditOf) and its rows of one action after a row (auditOf): right rows in the right order from a trail interleaved with other jobs' rows, and
// query plans that read an index range (a page costs O(limit), not O(trail)) rather than the table.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteJobStore, AUDIT_NEWEST_OF_ACTION_SQL, AUDIT_OF_ACTION_SQL, AUDIT_PAGE_SQL } from './sqliteStore.ts';

const newJob = { pageId: '123', siteUrl: 'https://acme.atlassian.net', pageVersion: null, requestedBy: 'acc-1' };
const ROWS = 10_000;

async function storeWithTrail() {
  const store = new SqliteJobStore({ dataDir: ':memory:' });
  const { job: a } = await store.createOrFindOpenJob(newJob, 'test');
  const { job: b } = await store.createOrFindOpenJob({ ...newJob, pageId: '456' }, 'test');
  const insert = store.db.prepare('INSERT INTO audit_log (job_id, actor, action, details, at) VALUES (?, ?, ?, ?, ?)');
  // Job A's rows interleaved with job B's and with rows of no job (settings, keys).
  store.db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      insert.run(a.id, 'reviewer', i === 4_000 ? 'duplicates.search_failed' : i === 3_000 ? 'duplicates.searched' : 'review.step', JSON.stringify({ i }), new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString());
      if (i % 3 === 0) insert.run(b.id, 'reviewer', 'duplicates.searched', JSON.stringify({ i }), '2026-01-01T00:00:00.000Z');
      if (i % 7 === 0) insert.run(null, 'admin', 'settings.updated', '{}', '2026-01-01T00:00:00.000Z');
    }
  })();
  return { store, a, b };
}

describe('audit trail pages', () => {
  test('pages walk the job\'s trail newest first, each row once, and say when the oldest is reached', async (t) => {
    const { store, a } = await storeWithTrail();
    t.after(() => store.close());
    const whole = (await store.auditLog(a.id, 100_000)).reverse();
    assert.equal(whole.length, ROWS + 1, 'the rows above and the job.created row');
    const seen: number[] = [];
    let before: number | undefined;
    for (let n = 0; n < 100; n++) {
      const p = await store.auditPage(a.id, { limit: 333, before });
      assert.ok(p.entries.every((e) => e.jobId === a.id));
      seen.push(...p.entries.map((e) => e.id));
      if (p.nextBefore === null) break;
      assert.equal(p.nextBefore, p.entries.at(-1)!.id);
      before = p.nextBefore;
    }
    assert.deepEqual(seen, whole.map((e) => e.id));
    const first = await store.auditPage(a.id, { limit: 2 });
    assert.deepEqual(first.entries.map((e) => e.details), [{ i: ROWS - 1 }, { i: ROWS - 2 }]);
    assert.deepEqual(await store.auditPage('no-such-job', { limit: 10 }), { entries: [], nextBefore: null });
  });

  test('the newest row of the given actions, by job', async (t) => {
    const { store, a, b } = await storeWithTrail();
    t.after(() => store.close());
    const newest = await store.latestAuditOf(a.id, ['duplicates.searched', 'duplicates.search_failed']);
    assert.equal(newest?.action, 'duplicates.search_failed');
    assert.deepEqual(newest?.details, { i: 4_000 });
    assert.equal((await store.latestAuditOf(a.id, ['duplicates.searched']))?.details.i, 3_000);
    assert.equal((await store.latestAuditOf(b.id, ['duplicates.searched', 'duplicates.search_failed']))?.details.i, 9_999);
    assert.equal(await store.latestAuditOf(a.id, ['resync.decided']), undefined);
    assert.equal(await store.latestAuditOf(a.id, []), undefined);
  });

  test('the rows of one action after a row, oldest first, by job', async (t) => {
    const { store, a, b } = await storeWithTrail();
    t.after(() => store.close());
    const all = await store.auditOf(b.id, 'duplicates.searched');
    assert.equal(all.length, Math.ceil(ROWS / 3));
    assert.deepEqual(all.slice(0, 2).map((e) => e.details), [{ i: 0 }, { i: 3 }]);
    assert.ok(all.every((e) => e.jobId === b.id && e.action === 'duplicates.searched'));
    const after = await store.auditOf(b.id, 'duplicates.searched', all.at(-3)!.id);
    assert.deepEqual(after.map((e) => e.details.i), [9_996, 9_999]);
    assert.deepEqual((await store.auditOf(a.id, 'duplicates.searched')).map((e) => e.details.i), [3_000]);
    assert.deepEqual(await store.auditOf(a.id, 'duplicates.searched', Number.MAX_SAFE_INTEGER), []);
  });

  test('all three read an index range, never the whole table or the job\'s whole trail', async (t) => {
    const { store, a } = await storeWithTrail();
    t.after(() => store.close());
    store.db.exec('ANALYZE');
    const plan = (sql: string, ...args: unknown[]) => (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
    assert.deepEqual(plan(AUDIT_PAGE_SQL, a.id, 5_000, 51), ['SEARCH audit_log USING INDEX audit_by_job (job_id=? AND id<?)']);
    assert.deepEqual(plan(AUDIT_NEWEST_OF_ACTION_SQL, a.id, 'duplicates.searched'), ['SEARCH audit_log USING COVERING INDEX audit_by_job_action (job_id=? AND action=?)']);
    assert.deepEqual(plan(AUDIT_OF_ACTION_SQL, a.id, 'job.resumed', 0), ['SEARCH audit_log USING INDEX audit_by_job_action (job_id=? AND action=? AND id>?)']);
  });
});
