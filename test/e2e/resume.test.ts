import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/config.ts';
import { MemorySecretStore } from '../../core/secrets/secretStore.ts';
import { startBackend } from '../../core/server/backend.ts';
import { productParts } from '../../core/server/productParts.ts';
import { DrafterEngine } from '../../core/model/index.ts';
import { SqliteJobStore } from '../../core/store/sqliteStore.ts';
import { sweepExpiredContent } from '../../core/jobs/retention.ts';
import { startFakeAtlassian } from '../fakes/atlassian/server.ts';
import { loadCorpusPage } from '../corpus/index.ts';

test('on startup a job left in generating re-runs from its stored snapshot, a queued one runs, without fetching twice', async (t) => {
  const fake = await startFakeAtlassian();
  const dir = mkdtempSync(join(tmpdir(), 's2t-resume-'));
  t.after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const page = loadCorpusPage('tech-spec-export').content;
  fake.addPage({ id: '42', title: 'Export spec', storage: page, version: 5 });

  // The state a kill -9 leaves behind: one job mid-generation (snapshot stored), one still queued.
  const before = new SqliteJobStore({ dataDir: dir });
  const site = { siteUrl: fake.url, pageVersion: null, requestedBy: 'acc' };
  const generating = (await before.createOrFindOpenJob({ ...site, pageId: '42' }, 'test')).job;
  await before.transition(generating.id, 'fetching', { actor: 'system' });
  await before.transition(generating.id, 'generating', { actor: 'system', snapshot: { version: 5, title: 'Export spec', webUrl: `${fake.url}/wiki/x`, body: page } });
  const queued = (await before.createOrFindOpenJob({ ...site, pageId: '42', requestedBy: 'other' }, 'test')).job;
  before.close();

  const loaded = loadConfig({
    cwd: dir,
    env: { SPEC2TICKETS_DATA_DIR: dir, SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_ADMIN_PORT: '0', SPEC2TICKETS_SITE_URL: fake.url, SPEC2TICKETS_ATLASSIAN_EMAIL: fake.email, SPEC2TICKETS_JIRA_PROJECT: 'PAY' },
  });
  const backend = await startBackend({ loaded, secrets: new MemorySecretStore({ atlassianApiToken: fake.apiToken }), engine: new DrafterEngine(), parts: productParts() });
  t.after(() => backend.close());
  const deadline = Date.now() + 15_000;
  for (;;) {
    const states = await Promise.all([generating.id, queued.id].map(async (id) => (await backend.store.getJob(id))?.state));
    if (states.every((s) => s === 'awaiting_review')) break;
    assert.ok(Date.now() < deadline, `jobs did not resume: ${states.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(fake.count(/\/wiki\/api\/v2\/pages\/42$/), 1, 'only the queued job fetched the page; the other re-used its snapshot');
  const audit = (await backend.store.auditLog(generating.id)).map((a) => a.action);
  // The duplicate search after review runs on its own and may already have added its row.
  const resumed = audit.indexOf('job.resumed');
  assert.ok(resumed >= 0, `the restart shows in the audit trail: ${audit.join(', ')}`);
  assert.deepEqual(audit.slice(resumed, resumed + 2), ['job.resumed', 'state.awaiting_review']);
  assert.deepEqual(audit.slice(resumed + 2).filter((a) => !a.startsWith('duplicates.')), [], 'nothing but the duplicate search after review');

  // Cancel one in review, and retry it: it starts again from the beginning.
  const cancel = await fetch(`${backend.adminBaseUrl}/api/jobs/${queued.id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${backend.sessionToken}` } });
  assert.equal(((await cancel.json()) as { state: string }).state, 'cancelled');
  const retry = await fetch(`${backend.adminBaseUrl}/api/jobs/${queued.id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${backend.sessionToken}` } });
  assert.equal(((await retry.json()) as { state: string }).state, 'queued');
});

test('retention deletes content of jobs finished longer ago than the configured days, and only those', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-retention-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let now = new Date('2026-05-01T00:00:00Z');
  const store = new SqliteJobStore({ dataDir: dir, now: () => now });
  t.after(() => store.close());
  const old = (await store.createOrFindOpenJob({ pageId: '1', siteUrl: 'https://a.example', pageVersion: null, requestedBy: 'a' }, 't')).job;
  await store.transition(old.id, 'fetching', { actor: 's' });
  await store.transition(old.id, 'generating', { actor: 's', snapshot: { version: 1, title: 't', webUrl: '', body: 'page text' } });
  await store.transition(old.id, 'failed', { actor: 's', error: { code: 'x', message: 'y' } });
  now = new Date('2026-05-08T00:00:00Z');
  assert.deepEqual(await sweepExpiredContent({ store, retentionDays: async () => 10, now: () => now }), [], '7 days old, 10 days kept');
  assert.deepEqual(await sweepExpiredContent({ store, retentionDays: async () => 5, now: () => now }), [old.id], 'the admin lowers retention to 5 days');
  assert.equal((await store.latestSnapshot(old.id))?.body, null);
  assert.equal((await store.getJob(old.id))?.state, 'failed', 'the job row stays');
});

test('retention cancels jobs left waiting past the period and removes item titles from errors and audit details', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-retention-wait-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let now = new Date('2026-05-01T00:00:00Z');
  const store = new SqliteJobStore({ dataDir: dir, now: () => now });
  t.after(() => store.close());
  const title = 'Refund the Zephyr Platinum card within 14 days';
  let page = 0;
  const reviewed = async (requestedBy: string) => {
    const { job } = await store.createOrFindOpenJob({ pageId: String(++page), siteUrl: 'https://a.example', pageVersion: null, requestedBy }, 'forge');
    await store.transition(job.id, 'fetching', { actor: 's' });
    await store.transition(job.id, 'generating', { actor: 's', snapshot: { version: 1, title: 'Payments', webUrl: '', body: `<p>${title}</p>` } });
    await store.transition(job.id, 'awaiting_review', { actor: 's', breakdown: { kind: 'generated', body: { epics: [{ title }] }, author: 'drafter' } });
    return job;
  };
  const inReview = await reviewed('a');
  const approved = await reviewed('b');
  await store.transition(approved.id, 'approved', { actor: 'ann', approvedBy: 'ann' });
  const failed = await reviewed('c');
  await store.transition(failed.id, 'approved', { actor: 'ann', approvedBy: 'ann' });
  await store.transition(failed.id, 'creating', { actor: 's' });
  await store.transition(failed.id, 'failed', { actor: 's', error: { code: 'jira_items_rejected', message: `1 of 3 items were not created: Jira rejected story S1.1 "${title}"` } });
  const done = await reviewed('d');
  await store.transition(done.id, 'approved', { actor: 'ann', approvedBy: 'ann' });
  await store.transition(done.id, 'creating', { actor: 's' });
  await store.transition(done.id, 'done', { actor: 's', details: { created: 3, warnings: [`Could not link PAY-1 (S1.1 "${title}") to the specification page`] } });
  const queued = (await store.createOrFindOpenJob({ pageId: '99', siteUrl: 'https://a.example', pageVersion: null, requestedBy: 'e' }, 'forge')).job;
  const working = (await store.createOrFindOpenJob({ pageId: '98', siteUrl: 'https://a.example', pageVersion: null, requestedBy: 'f' }, 'forge')).job;
  await store.transition(working.id, 'fetching', { actor: 's' });

  now = new Date('2026-05-20T00:00:00Z');
  const recent = await reviewed('g');
  now = new Date('2026-06-05T00:00:00Z');
  const told: string[][] = [];
  const purged = await sweepExpiredContent({ store, retentionDays: async () => 30, now: () => now, onChanged: (ids) => void told.push(ids) });
  assert.deepEqual([...purged].sort(), [inReview.id, approved.id, failed.id, done.id, queued.id].sort(), 'every job untouched for 30 days except one being worked on');
  assert.deepEqual(told.map((ids) => [...ids].sort()), [[...purged].sort()], 'the changed jobs are announced once, so open screens update');

  for (const [job, waited] of [[inReview, 'was not reviewed'], [approved, 'was approved but not created'], [queued, 'was not started']] as const) {
    const j = (await store.getJob(job.id))!;
    assert.equal(j.state, 'cancelled', `${job.id} no longer waits`);
    assert.equal(j.error?.code, 'retention_expired');
    assert.match(j.error?.message ?? '', new RegExp(`The job ${waited} within the retention period \\(30 days\\)`));
    assert.ok(j.purgedAt);
    const audit = await store.auditLog(job.id);
    assert.ok(audit.some((a) => a.action === 'state.cancelled' && a.actor === 'retention'), 'the expiry is audited');
  }
  for (const id of [inReview.id, approved.id, failed.id, done.id]) {
    assert.equal((await store.latestSnapshot(id))?.body, null, 'page content deleted');
    assert.equal((await store.latestBreakdown(id))?.body, null, 'breakdown deleted');
    const leftovers = JSON.stringify({ job: await store.getJob(id), audit: await store.auditLog(id) });
    assert.ok(!leftovers.includes('Zephyr'), `no item title survives in the job or its audit: ${leftovers.slice(0, 400)}`);
  }
  assert.equal((await store.getJob(failed.id))?.error?.code, 'jira_items_rejected', 'the error code stays');
  assert.ok((await store.auditLog(done.id)).some((a) => a.action === 'state.done' && (a.details as { created?: number }).created === 3), 'counts stay');

  assert.equal((await store.getJob(working.id))?.state, 'fetching', 'a job being worked on is left alone');
  assert.equal((await store.getJob(recent.id))?.state, 'awaiting_review', 'a job in review within the period stays');
  assert.match((await store.latestSnapshot(recent.id))?.body ?? '', /Zephyr/);
  assert.deepEqual(await sweepExpiredContent({ store, retentionDays: async () => 30, now: () => now }), [], 'each job is purged once');
});
