// A job's audit log, paged on its own: GET /api/jobs/:id/audit answers newest first, `limit` rows
// (50 unless asked, at most 500) older than the `before` cursor, with the cursor of the next page;
// bad values are 400s that say what to send, an unknown job a 404. The job detail no longer carries
// the log (its size does not grow with it) but still says why the newest duplicate search failed.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './support/inProcess.ts';
import type { JobAuditResponse, JobDetailResponse } from '../../core/server/admin.ts';
import type { AuditEntry } from '../../core/store/types.ts';
import { REFUNDS } from './support/refundsPage.ts';
import { raw } from './support/rawHttp.ts';

/** Rows the tests add to the job's log, on top of what the job itself wrote. */
const ADDED = 1_200;

describe('the audit log of a job, paged', () => {
  let h: Harness;
  let jobId: string;
  /** The job's whole log once the added rows are in, newest first (read from the store, not the API). */
  let all: AuditEntry[];
  const page = async (query: string) => {
    const res = await h.admin(`/api/jobs/${jobId}/audit${query}`);
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as JobAuditResponse;
  };
  const refused = async (query: string) => {
    const res = await h.admin(`/api/jobs/${jobId}/audit${query}`);
    return { status: res.status, body: (await res.json()) as { code: string; message: string; fields?: string[] } };
  };

  before(async () => {
    h = await startHarness();
    h.fake.addPage({ id: '7401', title: 'Refund rules with a long history', storage: REFUNDS });
    const res = await h.pub('/v1/jobs', { json: { pageId: '7401', siteUrl: h.fake.url, requestedBy: 'acc-audit', projectKey: 'PAY' } });
    assert.equal(res.status, 202, await res.clone().text());
    jobId = ((await res.json()) as { jobId: string }).jobId;
    const status = await h.poll(jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    assert.equal(status.state, 'awaiting_review', JSON.stringify(status.error));
    // The duplicate search that follows generation writes its own row: wait for it so the rows below stay the newest.
    for (const end = Date.now() + 60_000; !(await h.backend.store.auditLog(jobId)).some((a) => a.action.startsWith('duplicates.search')); ) {
      assert.ok(Date.now() < end, 'the duplicate search after generation never ended');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  after(() => h.close());

  test('the detail carries no audit log: its size stays the same however long the log grows, and it still names the last search failure', async () => {
    const detailText = async () => (await h.admin(`/api/jobs/${jobId}`)).text();
    const before = await detailText();
    assert.ok(!('audit' in (JSON.parse(before) as object)), 'no audit field in the detail');
    for (let i = 0; i < ADDED; i++) {
      await h.backend.store.audit({ jobId, actor: 'reviewer-ann', action: 'duplicates.decided', details: { row: i, note: 'a reviewer decision kept in the job history' } });
    }
    const afterText = await detailText();
    assert.equal(Buffer.byteLength(afterText), Buffer.byteLength(before), `the detail did not grow with ${ADDED} audit rows`);

    // The newest search outcome decides, whatever was written after it.
    await h.backend.store.audit({ jobId, actor: 'system', action: 'duplicates.search_failed', details: { message: 'Jira answered 503 to the search' } });
    await h.backend.store.audit({ jobId, actor: 'reviewer-ann', action: 'breakdown.viewed', details: {} });
    let detail = JSON.parse(await detailText()) as JobDetailResponse;
    assert.equal(detail.duplicates.lastFailure?.message, 'Jira answered 503 to the search');
    await h.backend.store.audit({ jobId, actor: 'system', action: 'duplicates.searched', details: { items: 3 } });
    detail = JSON.parse(await detailText()) as JobDetailResponse;
    assert.equal(detail.duplicates.lastFailure, null, 'a later search that worked clears the failure');
    all = (await h.backend.store.auditLog(jobId)).reverse();
    assert.ok(all.length > ADDED + 3, `the job's own rows and the added ones (${all.length})`);
  });

  test('newest first, 50 rows unless asked, and the cursor walks the whole log to its oldest row without repeating or skipping any', async () => {
    const first = await page('');
    assert.equal(first.jobId, jobId);
    assert.equal(first.entries.length, 50);
    assert.deepEqual(first.entries, all.slice(0, 50), 'the 50 newest rows, newest first, as stored');
    assert.equal(first.entries[0]!.action, 'duplicates.searched');
    assert.equal(first.nextBefore, first.entries.at(-1)!.id);

    const seen: AuditEntry[] = [];
    let before: number | null = null;
    let pages = 0;
    do {
      const p = await page(`?limit=500${before === null ? '' : `&before=${before}`}`);
      assert.ok(p.entries.length <= 500);
      seen.push(...p.entries);
      before = p.nextBefore;
      pages++;
    } while (before !== null && pages < 10);
    assert.equal(before, null, 'the last page says there is nothing older');
    assert.equal(pages, Math.ceil(all.length / 500));
    assert.deepEqual(
      seen.map((e) => e.id),
      all.map((e) => e.id),
      'every row once, newest to oldest',
    );
    assert.equal(seen.at(-1)!.action, 'job.created', 'down to the job\'s first row');

    // A page that ends exactly at the oldest row says so (no empty page to ask for).
    const tenLeft = all.at(-11)!.id;
    const exact = await page(`?limit=10&before=${tenLeft}`);
    assert.deepEqual(exact.entries.map((e) => e.id), all.slice(-10).map((e) => e.id));
    assert.equal(exact.nextBefore, null);
    const short = await page(`?limit=9&before=${tenLeft}`);
    assert.equal(short.nextBefore, all.at(-2)!.id, 'one row left: the cursor points past the ninth');
  });

  test('rows written after a page was read do not shift the older pages', async () => {
    const first = await page('?limit=10');
    await h.backend.store.audit({ jobId, actor: 'reviewer-ann', action: 'breakdown.edited', details: { versionNo: 3 } });
    const second = await page(`?limit=10&before=${first.nextBefore}`);
    assert.deepEqual(
      second.entries.map((e) => e.id),
      all.slice(10, 20).map((e) => e.id),
    );
    const newest = await page('?limit=1');
    assert.equal(newest.entries[0]!.action, 'breakdown.edited', 'the new row heads the newest page');
    // The log of another job, or the rows of no job (settings), never show up.
    assert.ok(second.entries.every((e) => e.jobId === jobId));
  });

  test('400 for a limit or cursor that is not a whole number in range, naming the parameter', async () => {
    for (const [query, field, says] of [
      ['?limit=0', 'limit', /limit must be a whole number of 1 or more/],
      ['?limit=-5', 'limit', /limit must be a whole number of 1 or more/],
      ['?limit=abc', 'limit', /limit must be a whole number of 1 or more/],
      ['?limit=2.5', 'limit', /limit must be a whole number of 1 or more/],
      ['?limit=501', 'limit', /limit must be at most 500 rows/],
      ['?limit=99999999999999999999', 'limit', /limit must be a whole number of 1 or more/],
      ['?before=0', 'before', /before .* must be a whole number of 1 or more/],
      ['?before=yesterday', 'before', /before .* must be a whole number of 1 or more/],
      ['?limit=10&limit=20', 'limit', /limit/],
    ] as const) {
      const r = await refused(query);
      assert.equal(r.status, 400, `${query}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, 'validation_failed', query);
      assert.deepEqual(r.body.fields, [field], query);
      assert.match(r.body.message, says, query);
      assert.match(r.body.message, /^The query is invalid: /, query);
    }
    // The largest page is allowed.
    assert.equal((await page('?limit=500')).entries.length, 500);
  });

  test('404 for an unknown job; the same session and Host check as every admin route', async () => {
    const unknown = await h.admin('/api/jobs/00000000-0000-4000-8000-000000000000/audit');
    assert.equal(unknown.status, 404);
    const u = (await unknown.json()) as { code: string; message: string };
    assert.equal(u.code, 'job_not_found');
    assert.match(u.message, /There is no job 00000000-0000-4000-8000-000000000000/);

    const base = h.backend.adminBaseUrl;
    const port = new URL(base).port;
    const noSession = await raw(`${base}/api/jobs/${jobId}/audit`, { headers: {} });
    assert.equal(noSession.status, 401);
    const otherHost = await raw(`${base}/api/jobs/${jobId}/audit`, { headers: { authorization: `Bearer ${h.backend.sessionToken}`, host: `evil.example:${port}` } });
    assert.equal(otherHost.status, 421);
    const ok = await raw(`${base}/api/jobs/${jobId}/audit?limit=1`, { headers: { authorization: `Bearer ${h.backend.sessionToken}` } });
    assert.equal(ok.status, 200);
    assert.ok(!ok.body.includes(h.backend.sessionToken), 'the session token is never echoed');
  });
});
