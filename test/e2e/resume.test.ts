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
  assert.deepEqual(audit.slice(-2), ['job.resumed', 'state.awaiting_review']);

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
