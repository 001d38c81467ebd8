import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteJobStore, migrate } from './sqliteStore.ts';
import { MIGRATIONS } from './migrations.ts';
import { JobTransitionError } from '../jobs/states.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 's2t-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const newJob = { pageId: '123', siteUrl: 'https://acme.atlassian.net', pageVersion: null, requestedBy: 'acc-1' };

describe('SQLite job store', () => {
  test('opens in WAL mode with foreign keys and records applied migrations', (t) => {
    const store = new SqliteJobStore({ dataDir: tempDir(t) });
    t.after(() => store.close());
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
    assert.ok(Number(store.db.pragma('busy_timeout', { simple: true })) >= 1000);
    const versions = store.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
    assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version));
  });

  test('a database from before per-job projects is upgraded in place: old jobs follow the backend setting', async (t) => {
    const dir = tempDir(t);
    const old = new SqliteJobStore({ dataDir: dir, migrations: MIGRATIONS.filter((m) => m.version <= 3) });
    // A row as the previous version wrote it (no project_key column yet).
    old.db
      .prepare(`INSERT INTO jobs (id, page_id, site_url, page_version, requested_by, state, created_at, updated_at) VALUES ('old-1', ?, ?, NULL, ?, 'queued', ?, ?)`)
      .run(newJob.pageId, newJob.siteUrl, newJob.requestedBy, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z');
    old.close();
    const before = { id: 'old-1' };
    const store = new SqliteJobStore({ dataDir: dir });
    t.after(() => store.close());
    assert.equal((await store.getJob(before.id))?.projectKey, null);
    const same = await store.createOrFindOpenJob(newJob, 'test');
    assert.equal(same.created, false, 'the open job without a project is found again');
    assert.equal(same.job.id, 'old-1');
    const team = await store.createOrFindOpenJob({ ...newJob, projectKey: 'TEAM' }, 'test');
    assert.equal(team.created, true, 'the same page for another project is another job');
    assert.equal(team.job.projectKey, 'TEAM');
    assert.equal(await store.setJobProject(team.job.id, 'PAY', 'ann'), undefined, 'only a job awaiting review changes project');
    assert.equal((await store.getJob(team.job.id))?.projectKey, 'TEAM');
  });

  test('clearing duplicate decisions of one project removes exactly its issues and audits the count', async (t) => {
    const store = new SqliteJobStore({ dataDir: tempDir(t) });
    t.after(() => store.close());
    const { job } = await store.createOrFindOpenJob(newJob, 'test');
    const { job: other } = await store.createOrFindOpenJob({ ...newJob, requestedBy: 'acc-2' }, 'test');
    for (const [jobId, itemId, issueKey] of [[job.id, 'e1', 'PAY_X-1'], [job.id, 'e2', 'PAYX-2'], [job.id, 's1', 'PAY_X-3'], [other.id, 'e1', 'PAY_X-1']] as const) {
      await store.setDuplicateDecision({ jobId, itemId, issueKey, decision: 'link', decidedBy: 'ann' });
    }
    // '_' is a LIKE wildcard: PAYX-2 must not count as an issue of PAY_X.
    assert.equal(await store.clearDuplicateDecisions(job.id, { issueProject: 'PAY_X', reason: 'project_changed', actor: 'ann' }), 2);
    assert.deepEqual((await store.duplicateDecisions(job.id)).map((d) => d.issueKey), ['PAYX-2']);
    assert.equal((await store.duplicateDecisions(other.id)).length, 1, 'other jobs keep theirs');
    const audit = (await store.auditLog(job.id)).filter((a) => a.action === 'duplicates.cleared');
    assert.deepEqual(audit.map((a) => [a.actor, a.details]), [['ann', { count: 2, reason: 'project_changed' }]]);
    assert.equal(await store.clearDuplicateDecisions(job.id, { issueProject: 'PAY_X', reason: 'project_changed', actor: 'ann' }), 0);
    assert.equal((await store.auditLog(job.id)).filter((a) => a.action === 'duplicates.cleared').length, 1, 'nothing cleared, nothing audited');
  });

  test('migrations run once: reopening the same folder keeps data and applies nothing again', async (t) => {
    const dir = tempDir(t);
    const a = new SqliteJobStore({ dataDir: dir });
    const { job } = await a.createOrFindOpenJob(newJob, 'test');
    a.close();
    const b = new SqliteJobStore({ dataDir: dir });
    t.after(() => b.close());
    assert.equal((await b.getJob(job.id))?.pageId, '123');
    assert.deepEqual(migrate(b.db, MIGRATIONS, () => new Date()), []);
  });

  test('a database from a newer version is refused with a clear message', (t) => {
    const db = new Database(':memory:');
    t.after(() => db.close());
    migrate(db, [...MIGRATIONS, { version: 99, name: 'future', sql: 'CREATE TABLE future (x)' }], () => new Date());
    assert.throws(() => migrate(db, MIGRATIONS, () => new Date()), /newer Spec2Tickets \(schema 99/);
  });

  test('the same page, version and requester while a job is open gives the same job', async (t) => {
    const store = new SqliteJobStore({ dataDir: tempDir(t) });
    t.after(() => store.close());
    const first = await store.createOrFindOpenJob(newJob, 'test');
    const again = await store.createOrFindOpenJob(newJob, 'test');
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.job.id, first.job.id);
    const otherVersion = await store.createOrFindOpenJob({ ...newJob, pageVersion: 4 }, 'test');
    assert.notEqual(otherVersion.job.id, first.job.id);
    await store.transition(first.job.id, 'cancelled', { actor: 'test' });
    const afterCancel = await store.createOrFindOpenJob(newJob, 'test');
    assert.equal(afterCancel.created, true);
    assert.notEqual(afterCancel.job.id, first.job.id);
  });

  test('a transition and its audit row are written together; forbidden transitions change nothing', async (t) => {
    const store = new SqliteJobStore({ dataDir: tempDir(t) });
    t.after(() => store.close());
    const { job } = await store.createOrFindOpenJob(newJob, 'acc-1');
    assert.equal(job.pageTitle, null, 'no title before the page is fetched');
    await assert.rejects(store.transition(job.id, 'approved', { actor: 'admin' }), JobTransitionError);
    assert.equal((await store.getJob(job.id))?.state, 'queued');
    await store.transition(job.id, 'fetching', { actor: 'system', from: 'queued' });
    await assert.rejects(store.transition(job.id, 'generating', { actor: 'system', from: 'queued' }), /is fetching; it cannot move to generating/);
    const snap = { version: 7, title: 'Payments', webUrl: 'https://acme.atlassian.net/wiki/x', body: '<p>hi</p>' };
    await store.transition(job.id, 'generating', { actor: 'system', snapshot: snap });
    await store.transition(job.id, 'awaiting_review', { actor: 'system', breakdown: { kind: 'generated', body: { epics: [] }, author: 'drafter' }, counts: { epics: 0, stories: 0, subtasks: 0 } });
    const actions = (await store.auditLog(job.id)).map((a) => a.action);
    assert.deepEqual(actions, ['job.created', 'state.fetching', 'state.generating', 'state.awaiting_review']);
    assert.equal((await store.latestSnapshot(job.id))?.version, 7);
    assert.equal((await store.generatedBreakdown(job.id))?.versionNo, 1);
    assert.equal((await store.getJob(job.id))?.pageTitle, 'Payments', 'the job carries its page title once fetched');
    assert.deepEqual((await store.listJobs({})).map((j) => j.pageTitle), ['Payments']);
  });

  test('edited breakdowns are new versions; the generated one stays for the diff', async (t) => {
    const store = new SqliteJobStore({ dataDir: tempDir(t) });
    t.after(() => store.close());
    const { job } = await store.createOrFindOpenJob(newJob, 'acc-1');
    await store.addBreakdownVersion(job.id, 'generated', { v: 'model' }, 'drafter');
    await store.addBreakdownVersion(job.id, 'edited', { v: 'mine' }, 'alice');
    assert.deepEqual((await store.latestBreakdown(job.id))?.body, { v: 'mine' });
    assert.equal((await store.latestBreakdown(job.id))?.author, 'alice');
    assert.deepEqual((await store.generatedBreakdown(job.id))?.body, { v: 'model' });
    assert.deepEqual((await store.breakdownVersions(job.id)).map((v) => [v.versionNo, v.kind]), [[1, 'generated'], [2, 'edited']]);
    // The list a job view shows: every version, oldest first, with no body read.
    const list = await store.breakdownVersionList(job.id);
    assert.deepEqual(list.map((v) => [v.versionNo, v.kind, v.author]), [[1, 'generated', 'drafter'], [2, 'edited', 'alice']]);
    assert.ok(list.every((v) => !('body' in v)), 'no body in the list');
  });

  test('the creation ledger remembers each issue once, across reopening', async (t) => {
    const dir = tempDir(t);
    const a = new SqliteJobStore({ dataDir: dir });
    const { job } = await a.createOrFindOpenJob(newJob, 'acc-1');
    const ledger = a.creationLedger(job.id, (k) => `https://acme.atlassian.net/browse/${k}`);
    ledger.recordCreated('E1', { key: 'PAY-1', id: '10001' });
    ledger.recordCreated('E1', { key: 'PAY-9', id: '10009' });
    a.close();
    const b = new SqliteJobStore({ dataDir: dir });
    t.after(() => b.close());
    const items = b.creationLedger(job.id, (k) => k).createdItems();
    assert.deepEqual([...items], [['E1', { key: 'PAY-1', id: '10001' }]]);
    assert.equal((await b.createdIssues(job.id))[0]?.url, 'https://acme.atlassian.net/browse/PAY-1');
  });

  test('an unanswered bulk request stays on record across reopening until cleared', async (t) => {
    const dir = tempDir(t);
    const a = new SqliteJobStore({ dataDir: dir });
    const { job } = await a.createOrFindOpenJob(newJob, 'acc-1');
    const ledger = a.creationLedger(job.id, (k) => k);
    assert.equal(ledger.pendingBulk(), undefined);
    ledger.recordPendingBulk(['S1.1', 'S1.2']);
    a.close();
    const b = new SqliteJobStore({ dataDir: dir });
    t.after(() => b.close());
    const again = b.creationLedger(job.id, (k) => k);
    assert.deepEqual(again.pendingBulk(), ['S1.1', 'S1.2'], 'a kill after sending leaves the record');
    again.recordPendingBulk(['S1.3']);
    assert.deepEqual(again.pendingBulk(), ['S1.3'], 'one request at a time: the next replaces it');
    again.clearPendingBulk();
    assert.equal(again.pendingBulk(), undefined);
  });

  test('retention purges content of finished jobs only, keeping the job row and audit', async (t) => {
    let now = new Date('2026-01-01T00:00:00Z');
    const store = new SqliteJobStore({ dataDir: tempDir(t), now: () => now });
    t.after(() => store.close());
    const done = (await store.createOrFindOpenJob(newJob, 'a')).job;
    const open = (await store.createOrFindOpenJob({ ...newJob, requestedBy: 'b' }, 'b')).job;
    for (const j of [done, open]) {
      await store.transition(j.id, 'fetching', { actor: 's' });
      await store.transition(j.id, 'generating', { actor: 's', snapshot: { version: 1, title: 't', webUrl: '', body: 'secret page' } });
      await store.transition(j.id, 'awaiting_review', { actor: 's', breakdown: { kind: 'generated', body: { x: 1 }, author: 'd' } });
    }
    await store.transition(done.id, 'rejected', { actor: 'admin' });
    now = new Date('2026-03-01T00:00:00Z');
    const purged = await store.purgeFinishedBefore('2026-02-01T00:00:00Z', now.toISOString());
    assert.deepEqual(purged, [done.id]);
    assert.equal((await store.latestSnapshot(done.id))?.body, null);
    assert.equal((await store.latestBreakdown(done.id))?.body, null);
    assert.equal((await store.getJob(done.id))?.purgedAt, now.toISOString());
    assert.equal((await store.latestSnapshot(open.id))?.body, 'secret page');
    assert.ok((await store.auditLog(done.id)).some((a) => a.action === 'content.purged'));
    assert.deepEqual(await store.purgeFinishedBefore('2026-02-01T00:00:00Z', now.toISOString()), []);
  });

  test('settings round-trip as JSON and null deletes a value', async (t) => {
    const store = new SqliteJobStore({ dataDir: tempDir(t) });
    t.after(() => store.close());
    await store.putSettings({ jiraProjectKey: 'PAY', retentionDays: 7 });
    await store.putSettings({ retentionDays: null });
    assert.deepEqual(await store.getSettings(), { jiraProjectKey: 'PAY' });
  });
});
