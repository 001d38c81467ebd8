import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBreakdownInJira, ENTITY_PROPERTY_KEY } from '../jira/createIssues.ts';
import { createJiraClient } from '../jira/client.ts';
import { adfText } from '../jira/adf.ts';
import { AtlassianError } from '../atlassian/site.ts';
import type { AtlassianSite } from '../atlassian/site.ts';
import type { Breakdown } from '../breakdown/schema.ts';
import { flattenBreakdown } from '../breakdown/schema.ts';
import { SqliteJobStore } from '../store/sqliteStore.ts';
import { MIGRATIONS } from '../store/migrations.ts';
import { resyncStoreOf } from './resyncStore.ts';
import { startFakeAtlassian, type FakeAtlassian } from '../../test/fakes/atlassian/server.ts';
import { sampleBreakdown } from '../../test/fakes/atlassian/breakdowns.ts';

const newJob = { pageId: '77', siteUrl: 'https://acme.atlassian.net', pageVersion: null, requestedBy: 'acc-1' };

describe('what creation records of each issue for re-sync', () => {
  let fake: FakeAtlassian;
  let site: AtlassianSite;
  before(async () => {
    fake = await startFakeAtlassian();
    site = { siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken };
  });
  after(async () => {
    await fake.close();
    fake.assertNoViolations();
  });

  const run = (store: SqliteJobStore, jobId: string, breakdown: Breakdown, extra: Partial<Parameters<typeof createBreakdownInJira>[0]> = {}) =>
    createBreakdownInJira({
      client: createJiraClient(site, { retry: { baseDelayMs: 1 }, timeoutMs: 2000 }),
      site,
      projectKey: 'PAY',
      breakdown,
      jobId,
      pageUrl: `${site.siteUrl}/wiki/spaces/SPEC/pages/77`,
      pageTitle: 'Refunds spec',
      ledger: store.creationLedger(jobId, (k) => `${site.siteUrl}/browse/${k}`),
      sleep: async () => {},
      reconcileDelayMs: 0,
      ...extra,
    });

  /** Each of the job's ledger rows against the issue Jira holds: what was sent, and Jira's `updated` after creation. */
  const assertRecordsMatchJira = (store: SqliteJobStore, jobId: string, breakdown: Breakdown) => {
    const recorded = resyncStoreOf(store)!.createdBaselines(jobId);
    const mine = fake.issues.filter((i) => (i.properties[ENTITY_PROPERTY_KEY] as { jobId?: string } | undefined)?.jobId === jobId);
    assert.equal(mine.length, flattenBreakdown(breakdown).length, 'one issue per item, none twice');
    assert.equal(recorded.size, mine.length);
    for (const issue of mine) {
      const itemId = (issue.properties[ENTITY_PROPERTY_KEY] as { itemId: string }).itemId;
      const sent = { summary: String(issue.fields.summary), descriptionText: issue.fields.description === undefined ? '' : adfText(issue.fields.description) };
      assert.deepEqual(recorded.get(itemId), { sent, jiraUpdated: issue.updated }, `${issue.key} (${itemId})`);
    }
  };

  test('each issue keeps what its create sent and Jira\'s updated after creation; issues of an answer lost after Jira made them are adopted with the same record', async (t) => {
    const store = new SqliteJobStore({ dataDir: ':memory:' });
    t.after(() => store.close());
    const { job } = await store.createOrFindOpenJob(newJob, 'acc-1');
    const breakdown = sampleBreakdown(2, 3, 2); // 2 epics, 6 stories, 12 sub-tasks: one bulk per level
    // The stories' bulk takes effect in Jira, and its answer is lost: the run stops with the
    // stories only in Jira, as after a kill between Jira's answer and the ledger.
    let bulks = 0;
    const first = await run(store, job.id, breakdown, {
      maxCreateAttempts: 1,
      onProgress: (p) => {
        if (p.phase === 'create' && ++bulks === 2) fake.failNext(/\/issue\/bulk$/, { status: 500, afterHandling: true });
      },
    }).catch((e: unknown) => e);
    assert.ok(first instanceof AtlassianError && first.code === 'server', String(first));
    const adopted = store.creationLedger(job.id, (k) => k).pendingBulk() ?? [];
    assert.ok(adopted.length > 0, 'the unanswered request is on record');

    const searches = fake.count(/\/search\/jql$/);
    const resumed = await run(store, job.id, breakdown);
    assert.deepEqual(resumed.failed, []);
    assert.deepEqual([...resumed.adopted].sort(), [...adopted].sort());
    assertRecordsMatchJira(store, job.id, breakdown);
    // The label search that adopts, and one read of `updated` for the job's 20 issues (≤ 100 per search).
    assert.equal(fake.count(/\/search\/jql$/) - searches, 2);
  });

  test('issues Jira\'s search does not show yet are read with their ids reconciled: the 50 newest at once, the rest in one more search', async (t) => {
    const store = new SqliteJobStore({ dataDir: ':memory:' });
    t.after(() => store.close());
    const { job } = await store.createOrFindOpenJob(newJob, 'acc-1');
    const breakdown = sampleBreakdown(1, 6, 10); // 67 issues: one read of 67 keys, 50 of them reconciled
    fake.setSearchLag(600_000);
    t.after(() => fake.setSearchLag(0));
    const searches = fake.count(/\/search\/jql$/);
    const res = await run(store, job.id, breakdown);
    assert.deepEqual(res.failed, []);
    assertRecordsMatchJira(store, job.id, breakdown);
    assert.equal(fake.count(/\/search\/jql$/) - searches, 1 + 2, 'the label search, then two reads of `updated`');
  });

  test('an earlier job\'s issue a later job links to keeps a baseline that follows the link, even when the later job is stopped after the link and resumed', async (t) => {
    const store = new SqliteJobStore({ dataDir: ':memory:' });
    t.after(() => store.close());
    const { job: earlier } = await store.createOrFindOpenJob(newJob, 'acc-1');
    const { job: later } = await store.createOrFindOpenJob({ ...newJob, pageVersion: 2 }, 'acc-1');
    assert.notEqual(later.id, earlier.id);
    const first = await run(store, earlier.id, sampleBreakdown(1, 1, 0));
    const target = first.created.find((c) => c.itemId === 'S1.1')!;
    const recorded = () => resyncStoreOf(store)!.createdBaselines(earlier.id).get('S1.1')!.jiraUpdated;
    const inJira = () => fake.issues.find((i) => i.key === target.key)!.updated;
    assert.equal(recorded(), inJira());

    // The later job's story relates to it: the link is made with the story's create, then the run
    // stops (Jira refuses the page link) before it reads anything back, as a kill would leave it.
    const relatesTo = new Map([['S1.1', target.key]]);
    fake.failNext(/\/remotelink$/, { status: 401 });
    const stopped = await run(store, later.id, sampleBreakdown(1, 1, 0), { relatesTo }).catch((e: unknown) => e);
    assert.ok(stopped instanceof AtlassianError && stopped.code === 'unauthorized', String(stopped));
    assert.ok(fake.links.some((l) => l.type === 'Relates' && (l.inwardKey === target.key || l.outwardKey === target.key)), 'the link was made');
    assert.notEqual(recorded(), inJira(), 'Jira moved its updated with the link');

    const resumed = await run(store, later.id, sampleBreakdown(1, 1, 0), { relatesTo });
    assert.deepEqual(resumed.failed, []);
    assert.equal(recorded(), inJira(), 'the baseline followed our own link');
    assert.equal(store.creationLedger(later.id, (k) => k).touchedBefore().size, 0, 'the kept times go once the run is over');
  });

  test('in a project without Description on its create screens the record says no description was sent', async (t) => {
    const store = new SqliteJobStore({ dataDir: ':memory:' });
    t.after(() => store.close());
    const { job } = await store.createOrFindOpenJob(newJob, 'acc-1');
    const breakdown = sampleBreakdown(1, 2, 1);
    const res = await run(store, job.id, breakdown, { projectKey: 'LEAN' });
    assert.deepEqual(res.failed, []);
    assert.ok(res.created.every((c) => fake.issues.find((i) => i.key === c.key)!.fields.description === undefined));
    assertRecordsMatchJira(store, job.id, breakdown);
    assert.ok([...resyncStoreOf(store)!.createdBaselines(job.id).values()].every((b) => b.sent?.descriptionText === ''));
  });

  test('a failed read of updated leaves the times unknown with a warning; the issues stay created', async (t) => {
    const store = new SqliteJobStore({ dataDir: ':memory:' });
    t.after(() => store.close());
    const { job } = await store.createOrFindOpenJob(newJob, 'acc-1');
    const breakdown = sampleBreakdown(1, 1, 0);
    let armed = false;
    const res = await run(store, job.id, breakdown, {
      // The page links are the last writes: the next search is the read of `updated`.
      onProgress: (p) => {
        if (p.phase === 'remote-links' && !armed) {
          armed = true;
          fake.failNext(/\/search\/jql$/, { status: 400 });
        }
      },
    });
    assert.ok(armed);
    assert.deepEqual(res.failed, []);
    assert.equal(res.created.length, 2);
    assert.equal(res.warnings.length, 1);
    assert.match(res.warnings[0]!, /^Could not read when Jira last updated 2 created issues \(.+\); a later re-sync compares their summary and description only\.$/);
    const recorded = [...resyncStoreOf(store)!.createdBaselines(job.id).values()];
    assert.deepEqual(recorded.map((r) => r.jiraUpdated), [null, null]);
    assert.ok(recorded.every((r) => r.sent !== null), 'what was sent is kept all the same');
  });
});

test('ledger rows written before creation kept its record read as unknown; retention removes what was sent', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-baseline-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const old = new SqliteJobStore({ dataDir: dir, migrations: MIGRATIONS.filter((m) => m.version <= 6) });
  const { job } = await old.createOrFindOpenJob(newJob, 'acc-1');
  old.db.prepare(`INSERT INTO created_issues (job_id, item_id, issue_key, issue_id, url, created_at) VALUES (?, 'S1.1', 'PAY-1', '10001', 'u', '2026-01-01T00:00:00.000Z')`).run(job.id);
  old.close();

  let now = new Date('2026-05-01T00:00:00Z');
  const store = new SqliteJobStore({ dataDir: dir, now: () => now });
  t.after(() => store.close());
  const resync = resyncStoreOf(store)!;
  assert.deepEqual([...resync.createdBaselines(job.id)], [['S1.1', { sent: null, jiraUpdated: null }]], 'an older row: re-sync re-derives the baseline as before');
  const ledger = store.creationLedger(job.id, (k) => k);
  ledger.recordCreated('S1.2', { key: 'PAY-2', id: '10002', sent: { summary: 'FR-2: Refund email', descriptionText: 'The customer gets an email.' } });
  ledger.recordJiraUpdated(new Map([['S1.2', '2026-05-01T00:00:01.000+0000']]));
  assert.deepEqual(resync.createdBaselines(job.id).get('S1.2'), { sent: { summary: 'FR-2: Refund email', descriptionText: 'The customer gets an email.' }, jiraUpdated: '2026-05-01T00:00:01.000+0000' });

  await store.transition(job.id, 'fetching', { actor: 's' });
  await store.transition(job.id, 'failed', { actor: 's', error: { code: 'x', message: 'y' } });
  now = new Date('2026-06-01T00:00:00Z');
  assert.deepEqual(await store.purgeFinishedBefore('2026-05-15T00:00:00Z', now.toISOString()), [job.id]);
  assert.deepEqual(resync.createdBaselines(job.id).get('S1.2'), { sent: null, jiraUpdated: '2026-05-01T00:00:01.000+0000' }, 'the sent text quoted the page');
  assert.equal((await store.createdIssues(job.id)).length, 2, 'the issues stay on record');
});
