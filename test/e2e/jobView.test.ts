// The job detail the review queue and workspace load, and the generated breakdown beside it: the
// detail carries the generated version's number and the diff's counts but not the generated body or
// the diff's entries (only the diff panel shows those), GET /api/jobs/:id/generated serves the body, 404 for an unknown job or one with nothing generated,
// behind the same session, Host check and headers as every admin route. The audit log is not in the
// detail either (jobAudit.test.ts pages it).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './support/inProcess.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';
import type { GeneratedBreakdownResponse } from '../../core/server/reviewRoutes.ts';
import { ADMIN_CSP } from '../../core/server/adminGuard.ts';
import { REFUNDS } from './support/refundsPage.ts';
import { raw } from './support/rawHttp.ts';

describe('job detail and the generated breakdown', () => {
  let h: Harness;
  let jobId: string;
  /** The generated version's body, read before any edit (then it is also the latest). */
  let generatedBody: unknown;
  const EDITED_TITLE = 'Refunds are sent back to the original card, edited in review';
  let originalTitle: string;

  before(async () => {
    h = await startHarness();
    h.fake.addPage({ id: '7301', title: 'Refund rules', storage: REFUNDS });
    const res = await h.pub('/v1/jobs', { json: { pageId: '7301', siteUrl: h.fake.url, requestedBy: 'acc-detail', projectKey: 'PAY' } });
    assert.equal(res.status, 202, await res.clone().text());
    jobId = ((await res.json()) as { jobId: string }).jobId;
    const status = await h.poll(jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    assert.equal(status.state, 'awaiting_review', JSON.stringify(status.error));
    const first = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    generatedBody = first.breakdown.latest!.body;
    // A reviewer's edit: version 2, so the detail has a diff against the generated version 1.
    const edited = parseBreakdown(structuredClone(generatedBody));
    const story = edited.epics[0]!.stories[0]!;
    originalTitle = story.title;
    story.title = EDITED_TITLE;
    const put = await h.admin(`/api/jobs/${jobId}/breakdown`, { method: 'PUT', json: { breakdown: edited } });
    assert.equal(put.status, 200, await put.clone().text());
  });
  after(() => h.close());

  test('the detail names the generated version without its body, and counts the changes against it', async () => {
    const res = await h.admin(`/api/jobs/${jobId}`);
    assert.equal(res.status, 200);
    const text = await res.text();
    const detail = JSON.parse(text) as JobDetailResponse;
    assert.equal(detail.breakdown.latest?.versionNo, 2);
    assert.ok(!('audit' in detail), 'the audit log is read on its own, a page at a time (GET /api/jobs/:id/audit)');
    const generated = detail.breakdown.generated as Record<string, unknown> | null;
    assert.ok(generated, 'the generated version is named');
    assert.deepEqual(Object.keys(generated).sort(), ['author', 'createdAt', 'jobId', 'kind', 'versionNo']);
    assert.equal(generated.versionNo, 1);
    assert.equal(generated.kind, 'generated');
    assert.ok(!text.includes(JSON.stringify(originalTitle)), 'no part of the detail quotes the generated-only title');
    const story = parseBreakdown(generatedBody).epics[0]!.stories[0]!;
    const items = flattenBreakdown(parseBreakdown(generatedBody)).length;
    assert.deepEqual(detail.breakdown.diff, { added: 0, removed: 0, changed: 1, unchanged: items - 1, marked: [story.id] }, 'the diff counted, and the item the tree marks');
  });

  test('GET /api/jobs/:id/generated serves the generated version with its body', async () => {
    const res = await h.admin(`/api/jobs/${jobId}/generated`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const body = (await res.json()) as GeneratedBreakdownResponse;
    assert.equal(body.jobId, jobId);
    assert.equal(body.generated.versionNo, 1);
    assert.equal(body.generated.kind, 'generated');
    assert.deepEqual(body.generated.body, generatedBody);
    assert.equal(parseBreakdown(body.generated.body).epics[0]!.stories[0]!.title, originalTitle);
  });

  test('404 for an unknown job, and for a job that has nothing generated', async () => {
    const unknown = await h.admin('/api/jobs/00000000-0000-4000-8000-000000000000/generated');
    assert.equal(unknown.status, 404);
    const u = (await unknown.json()) as { code: string; message: string };
    assert.equal(u.code, 'job_not_found');
    assert.match(u.message, /There is no job 00000000-0000-4000-8000-000000000000/);

    // A page the site does not have: the job fails while fetching, before any breakdown.
    const res = await h.pub('/v1/jobs', { json: { pageId: '7399', siteUrl: h.fake.url, requestedBy: 'acc-detail', projectKey: 'PAY' } });
    assert.equal(res.status, 202, await res.clone().text());
    const failed = ((await res.json()) as { jobId: string }).jobId;
    await h.poll(failed, (j) => j.state === 'failed');
    const none = await h.admin(`/api/jobs/${failed}/generated`);
    assert.equal(none.status, 404);
    const n = (await none.json()) as { code: string; message: string };
    assert.equal(n.code, 'not_generated');
    assert.match(n.message, new RegExp(`Job ${failed} has no generated breakdown \\(it is failed\\)`));
  });

  test('the same session, Host check and headers as the job detail', async () => {
    const base = h.backend.adminBaseUrl;
    const port = new URL(base).port;
    const token = h.backend.sessionToken;
    const paths = [`/api/jobs/${jobId}`, `/api/jobs/${jobId}/generated`];
    const cases: { name: string; headers: Record<string, string>; status: number; code?: string }[] = [
      { name: 'no session', headers: {}, status: 401, code: 'session_required' },
      { name: 'a wrong token', headers: { authorization: 'Bearer not-the-token' }, status: 401, code: 'session_required' },
      { name: 'another Host (DNS rebinding)', headers: { authorization: `Bearer ${token}`, host: `evil.example:${port}` }, status: 421, code: 'host_not_allowed' },
      { name: 'the session cookie', headers: { cookie: `s2t_session_${port}=${token}` }, status: 200 },
      { name: 'the bearer token', headers: { authorization: `Bearer ${token}` }, status: 200 },
    ];
    for (const c of cases) {
      for (const path of paths) {
        const r = await raw(base + path, { headers: c.headers });
        assert.equal(r.status, c.status, `${c.name}, ${path}: ${r.body.slice(0, 200)}`);
        if (c.code) assert.equal((JSON.parse(r.body) as { code: string }).code, c.code, `${c.name}, ${path}`);
        // A refused Host is answered before anything else; every other answer carries the page policy.
        if (c.status !== 421) {
          assert.equal(r.headers['content-security-policy'], ADMIN_CSP, `${c.name}, ${path}`);
          assert.equal(r.headers['x-content-type-options'], 'nosniff');
        }
        if (c.status === 200) assert.ok(!r.body.includes(token), 'the session token is never echoed');
      }
    }
  });
});
