import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpusPage } from '../corpus/index.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import { startHarness, type Harness } from './support/inProcess.ts';
import { createJsonLogger } from '../../core/server/logger.ts';

type ErrorBody = { code: string; message: string; fields?: string[] };

describe('public API errors are clear and lose nothing', () => {
  let h: Harness;
  const page = loadCorpusPage('user-stories-onboarding').content;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('a missing, wrong or revoked API key gets 401 with what to do', async () => {
    const missing = await h.pub('/v1/jobs/x', { key: null });
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as ErrorBody).code, 'unauthorized');
    const wrong = await h.pub('/v1/jobs/x', { key: 's2t_' + 'A'.repeat(43) });
    assert.equal(wrong.status, 401);
    assert.match(((await wrong.json()) as ErrorBody).message, /not known to this backend/);

    const created = (await (await h.admin('/api/keys', { json: { name: 'to-revoke' } })).json()) as { id: string; key: string };
    assert.equal((await h.pub('/v1/health', { key: created.key })).status, 200);
    assert.equal((await h.admin(`/api/keys/${created.id}`, { method: 'DELETE' })).status, 200);
    const revoked = await h.pub('/v1/health', { key: created.key });
    assert.equal(revoked.status, 401);
    assert.equal(((await revoked.json()) as ErrorBody).code, 'api_key_revoked');
    const listed = (await (await h.admin('/api/keys')).json()) as { keys: { id: string; revokedAt: string | null }[] };
    assert.ok(listed.keys.find((k) => k.id === created.id)?.revokedAt, 'the list shows the key revoked');
    assert.ok(!JSON.stringify(listed).includes(created.key), 'the key is never shown again');
  });

  test('a body over 16 KB is refused with 413 and a JSON error', async () => {
    const res = await h.pub('/v1/jobs', { json: { pageId: '1', siteUrl: h.fake.url, requestedBy: 'x'.repeat(17 * 1024) } });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as ErrorBody).code, 'body_too_large');
  });

  test('validation names the bad fields; another site is refused', async () => {
    const bad = await h.pub('/v1/jobs', { json: { pageId: 'abc', requestedBy: '' } });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as ErrorBody;
    assert.equal(body.code, 'validation_failed');
    assert.deepEqual(body.fields?.sort(), ['pageId', 'requestedBy', 'siteUrl']);
    const other = await h.pub('/v1/jobs', { json: { pageId: '5', siteUrl: 'https://other.atlassian.net', requestedBy: 'a' } });
    assert.equal(other.status, 400);
    assert.equal(((await other.json()) as ErrorBody).code, 'site_mismatch');
    const notJson = await h.pub('/v1/jobs', { method: 'POST', body: '{oops', headers: { 'content-type': 'application/json' } });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as ErrorBody).code, 'invalid_json');
  });

  test('an unknown job or route is a JSON 404; the public listener has no admin routes', async () => {
    const job = await h.pub('/v1/jobs/does-not-exist');
    assert.equal(job.status, 404);
    assert.equal(((await job.json()) as ErrorBody).code, 'job_not_found');
    for (const path of ['/v1/settings', '/api/settings', '/api/jobs', '/api/keys', '/api/events', '/']) {
      const res = await h.pub(path);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as ErrorBody).code, 'not_found', path);
    }
  });

  test('health reports version, model status and that Jira and Confluence answer', async () => {
    const res = await h.pub('/v1/health');
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; version: string; model: { state: string }; jira: { ok: boolean }; confluence: { ok: boolean } };
    assert.equal(body.status, 'ok');
    assert.equal(body.model.state, 'absent');
    assert.equal(body.jira.ok, true);
    assert.equal(body.confluence.ok, true);
    const before = h.fake.requests.length;
    await h.pub('/v1/health');
    assert.equal(h.fake.requests.length, before, 'a second check within seconds is answered from cache');
  });

  test('a page Confluence does not have fails the job clearly; after fixing it a retry succeeds', async () => {
    const res = await h.pub('/v1/jobs', { json: { pageId: '404404', siteUrl: h.fake.url, requestedBy: 'acc-1' } });
    const { jobId } = (await res.json()) as { jobId: string };
    const failed = await h.poll(jobId, (j) => j.state === 'failed');
    assert.equal(failed.error?.code, 'confluence_not_found');
    assert.match(failed.error?.message ?? '', /Confluence page 404404.*404/);
    h.fake.addPage({ id: '404404', title: 'Now it exists', storage: page });
    const retry = await h.admin(`/api/jobs/${jobId}/retry`, { json: {} });
    assert.equal(retry.status, 200);
    const review = await h.poll(jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    assert.equal(review.state, 'awaiting_review');
    assert.equal(review.attempt, 1);
    assert.equal(review.error, null);
  });

  test('a field Jira rejects fails the job with the field and message; the breakdown stays and a retry creates only the rest', async () => {
    h.fake.addPage({ id: '2002', title: 'Onboarding', storage: page });
    const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '2002', siteUrl: h.fake.url, requestedBy: 'acc-2' } })).json()) as { jobId: string };
    await h.poll(jobId, (j) => j.state === 'awaiting_review');
    h.fake.rejectField('priority', 'Field priority cannot be set. It is not on the appropriate screen, or unknown.');
    await h.admin(`/api/jobs/${jobId}/approve`, { json: { by: 'lead' } });
    const failed = await h.poll(jobId, (j) => j.state === 'failed' || j.state === 'done');
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error?.code, 'jira_items_rejected');
    assert.match(failed.error?.message ?? '', /priority.*not on the appropriate screen/);
    const detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as { breakdown: { latest: { body: unknown } | null } };
    assert.ok(detail.breakdown.latest?.body, 'the reviewed breakdown is still there');

    h.fake.clearFaults();
    assert.equal((await h.admin(`/api/jobs/${jobId}/retry`, { json: {} })).status, 200);
    const done = await h.poll(jobId, (j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    const items = flattenBreakdown(parseBreakdown(detail.breakdown.latest!.body));
    const label = `s2t-${jobId.replace(/[^a-z0-9]/g, '').slice(0, 8)}`;
    assert.equal(h.fake.issues.filter((i) => i.labels.includes(label)).length, items.length, 'exactly one issue per item after the retry');
  });

  test('a storm of 429s from Jira is waited out and the job completes', async () => {
    h.fake.addPage({ id: '3003', title: 'Storm', storage: page });
    const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '3003', siteUrl: h.fake.url, requestedBy: 'acc-3' } })).json()) as { jobId: string };
    await h.poll(jobId, (j) => j.state === 'awaiting_review');
    const before = h.fake.requests.filter((r) => r.status === 429).length;
    h.fake.failNext(/^\/rest\/api\/3\//, { status: 429, retryAfter: 0, times: 4 });
    h.fake.failNext(/issue\/bulk$/, { status: 429, retryAfter: 0, times: 5 });
    await h.admin(`/api/jobs/${jobId}/approve`, { json: {} });
    const done = await h.poll(jobId, (j) => j.state === 'done' || j.state === 'failed', 30_000);
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    assert.ok(h.fake.requests.filter((r) => r.status === 429).length - before >= 9, 'the storm really happened');
    h.fake.assertNoViolations();
  });
});

describe('public API limits per key', () => {
  test('over the per-key rate a request gets 429 with Retry-After; another key is unaffected; request ids come back', async (t) => {
    const h = await startHarness({ env: { SPEC2TICKETS_RATE_LIMIT_PER_MINUTE: '60', SPEC2TICKETS_RATE_LIMIT_BURST: '3' } });
    t.after(() => h.close());
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await h.pub('/v1/jobs/none')).status);
    assert.deepEqual(statuses, [404, 404, 404, 429]);
    const limited = await h.pub('/v1/jobs/none');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(((await limited.json()) as ErrorBody).code, 'rate_limited');
    const other = (await (await h.admin('/api/keys', { json: { name: 'second' } })).json()) as { key: string };
    assert.equal((await h.pub('/v1/jobs/none', { key: other.key })).status, 404);
    const traced = await h.pub('/v1/jobs/none', { key: other.key, headers: { 'x-request-id': 'forge-abc-123' } });
    assert.equal(traced.headers.get('x-request-id'), 'forge-abc-123');
    assert.match((await h.pub('/v1/jobs/none', { key: other.key })).headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });
});

describe('public API requests are traceable by their request id', () => {
  test('the caller\'s X-Request-Id (or a new one) is echoed and appears in the access log line, without the API key', async (t) => {
    const lines: string[] = [];
    const h = await startHarness({ log: createJsonLogger((l) => void lines.push(l)) });
    t.after(() => h.close());
    const logged = (id: string) =>
      lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.requestId === id);

    const traced = await h.pub('/v1/jobs/nope', { headers: { 'x-request-id': 'forge-req-7f3a' } });
    assert.equal(traced.status, 404);
    assert.equal(traced.headers.get('x-request-id'), 'forge-req-7f3a');
    const [line] = logged('forge-req-7f3a');
    assert.ok(line, `a log line carries the request id: ${lines.join('')}`);
    assert.equal(line.listener, 'public');
    assert.equal(line.path, '/v1/jobs/nope');
    assert.equal(line.status, 404);

    const fresh = await h.pub('/v1/health', { headers: { 'x-request-id': 'not a sane id; drop table' } });
    const id = fresh.headers.get('x-request-id') ?? '';
    assert.match(id, /^[0-9a-f-]{36}$/, 'an unusable id is replaced by a new one');
    assert.equal(logged(id).length, 1);
    assert.ok(!lines.join('').includes(h.apiKey), 'the API key never reaches the log');
  });
});
