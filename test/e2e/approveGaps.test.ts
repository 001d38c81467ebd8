// Approval of a breakdown with gaps over the admin API: a requirement no item cites (or an error
// finding) makes approve answer 409 with the gaps listed, in words, unless the request says
// approveAnyway; the acknowledged gaps are in the audit log next to the approval. A covered
// breakdown approves as before, without the flag.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './support/inProcess.ts';
import { flattenBreakdown, parseBreakdown, type Breakdown } from '../../core/breakdown/schema.ts';
import type { JobAuditResponse, JobDetailResponse } from '../../core/server/admin.ts';
import type { ApprovalGapsError, JobPageResponse } from '../../core/server/reviewRoutes.ts';
import { FR3, REFUNDS } from './support/refundsPage.ts';

describe('approving a breakdown with gaps needs approveAnyway', () => {
  let h: Harness;
  let n = 0;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const json = async <T>(res: Response): Promise<T> => {
    assert.ok(res.ok, `${res.status} ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  /** A refunds job in review, its blocks by requirement id and its generated breakdown. */
  const refundsJob = async () => {
    const pageId = String(5100 + ++n);
    h.fake.addPage({ id: pageId, title: `Refund rules ${n}`, storage: REFUNDS });
    const res = await h.pub('/v1/jobs', { json: { pageId, siteUrl: h.fake.url, requestedBy: 'acc-gaps', projectKey: 'PAY' } });
    assert.equal(res.status, 202, await res.clone().text());
    const { jobId } = (await res.json()) as { jobId: string };
    const status = await h.poll(jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    assert.equal(status.state, 'awaiting_review', JSON.stringify(status.error));
    const doc = (await json<JobPageResponse>(await h.admin(`/api/jobs/${jobId}/page`))).page!;
    const block = (req: string) => doc.blocks.find((b) => b.requirementId === req)!.id;
    const detail = await json<JobDetailResponse>(await h.admin(`/api/jobs/${jobId}`));
    return { jobId, block, breakdown: parseBreakdown(detail.breakdown.latest!.body) };
  };
  const save = async (jobId: string, breakdown: Breakdown) => json(await h.admin(`/api/jobs/${jobId}/breakdown`, { method: 'PUT', json: { breakdown } }));
  const detailOf = async (jobId: string) => json<JobDetailResponse>(await h.admin(`/api/jobs/${jobId}`));
  const auditOf = async (jobId: string) => (await json<JobAuditResponse>(await h.admin(`/api/jobs/${jobId}/audit?limit=500`))).entries;

  test('an uncovered requirement: 409 uncovered_requirements with its id and whole text, nothing approved; approveAnyway approves and the audit records the gaps', async () => {
    const job = await refundsJob();
    const b3 = job.block('FR-3');
    const gap = structuredClone(job.breakdown);
    for (const x of flattenBreakdown(gap)) x.item.sources = x.item.sources.filter((s) => s !== b3);
    await save(job.jobId, gap);

    for (const body of [{}, { by: 'lead' }, { approveAnyway: false }]) {
      const refused = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: body });
      assert.equal(refused.status, 409, JSON.stringify(body));
      const err = (await refused.json()) as ApprovalGapsError;
      assert.equal(err.code, 'uncovered_requirements');
      assert.deepEqual(err.uncovered, [{ blockId: b3, text: FR3 }]);
      assert.match(err.message, /1 requirement is not covered by any item/);
      assert.match(err.message, /FR-3: A refund must never exceed/);
      assert.match(err.message, /approveAnyway: true/);
    }
    const still = await detailOf(job.jobId);
    assert.equal(still.job.state, 'awaiting_review', 'a refused approval changes nothing');
    const audit = await auditOf(job.jobId);
    assert.ok(!audit.some((a) => a.action.startsWith('job.approv')), JSON.stringify(audit.map((a) => a.action)));

    const ok = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: { by: 'lead', approveAnyway: true } });
    assert.equal(ok.status, 200, await ok.clone().text());
    const done = await h.poll(job.jobId, (j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    const entry = (await auditOf(job.jobId)).find((a) => a.action === 'job.approved_with_gaps');
    assert.ok(entry, 'the acknowledgement is in the audit log');
    assert.equal(entry.actor, 'lead');
    assert.deepEqual(entry.details.uncovered, [b3]);
    assert.deepEqual(entry.details.uncoveredText, [FR3]);
    assert.equal(entry.details.approvedAnyway, true);
  });

  test('the summary the workspace sends is kept with the acknowledged gaps as the server found them', async () => {
    const job = await refundsJob();
    const b2 = job.block('FR-2');
    const gap = structuredClone(job.breakdown);
    for (const x of flattenBreakdown(gap)) x.item.sources = x.item.sources.filter((s) => s !== b2);
    await save(job.jobId, gap);
    const summary = {
      toCreate: { epics: 1, stories: 2, subtasks: 0 },
      skipped: { epics: 0, stories: 0, subtasks: 0 },
      targetProject: 'PAY',
      coverage: 2 / 3,
      errors: 0,
      uncovered: [b2],
      approvedAnyway: true,
    };
    const ok = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: { summary, approveAnyway: true } });
    assert.equal(ok.status, 200, await ok.clone().text());
    const entry = (await auditOf(job.jobId)).find((a) => a.action === 'job.approved_with_gaps');
    assert.ok(entry);
    assert.equal(entry.details.targetProject, 'PAY');
    assert.deepEqual(entry.details.toCreate, summary.toCreate);
    assert.deepEqual(entry.details.uncovered, [b2]);
    await h.poll(job.jobId, (j) => j.state === 'done' || j.state === 'failed');
  });

  test('a confirmation that did not list every uncovered requirement is refused with uncovered_changed', async () => {
    const job = await refundsJob();
    const [b1, b3] = [job.block('FR-1'), job.block('FR-3')];
    const gap = structuredClone(job.breakdown);
    for (const x of flattenBreakdown(gap)) x.item.sources = x.item.sources.filter((s) => s !== b1 && s !== b3);
    await save(job.jobId, gap);
    const summary = { toCreate: { epics: 1, stories: 1, subtasks: 0 }, skipped: { epics: 0, stories: 0, subtasks: 0 }, targetProject: 'PAY', coverage: 2 / 3, errors: 0, uncovered: [b3], approvedAnyway: true };
    const refused = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: { summary, approveAnyway: true } });
    assert.equal(refused.status, 409);
    const err = (await refused.json()) as ApprovalGapsError;
    assert.equal(err.code, 'uncovered_changed');
    assert.match(err.message, /FR-1: The shop must refund/);
    assert.deepEqual(err.uncovered.map((u) => u.blockId).sort(), [b1, b3].sort());
    assert.equal((await detailOf(job.jobId)).job.state, 'awaiting_review');
    const ok = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: { summary: { ...summary, uncovered: [b1, b3] }, approveAnyway: true } });
    assert.equal(ok.status, 200, await ok.clone().text());
    await h.poll(job.jobId, (j) => j.state === 'done' || j.state === 'failed');
  });

  test('an error finding without uncovered requirements: 409 error_findings naming it', async () => {
    const job = await refundsJob();
    const broken = structuredClone(job.breakdown);
    const story = broken.epics[0]!.stories[0]!;
    story.dependsOn = [story.id];
    await save(job.jobId, broken);
    const refused = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: {} });
    assert.equal(refused.status, 409);
    const err = (await refused.json()) as ApprovalGapsError;
    assert.equal(err.code, 'error_findings');
    assert.deepEqual(err.uncovered, []);
    assert.ok(err.errors.some((e) => e.itemId === story.id && /depends on itself/.test(e.message)), JSON.stringify(err.errors));
    assert.match(err.message, /depends on itself/);
    const ok = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: { approveAnyway: true } });
    assert.equal(ok.status, 200, await ok.clone().text());
    await h.poll(job.jobId, (j) => j.state === 'done' || j.state === 'failed');
  });

  test('a covered breakdown without error findings approves without the flag, and a job not in review still answers invalid_transition', async () => {
    const job = await refundsJob();
    const report = (await detailOf(job.jobId)).report;
    assert.ok(report && !('error' in report));
    assert.deepEqual(report.coverage.uncovered, [], 'the drafter covers every requirement');
    const ok = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: {} });
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.ok(!(await auditOf(job.jobId)).some((a) => a.action === 'job.approved_with_gaps'));
    const again = await h.admin(`/api/jobs/${job.jobId}/approve`, { json: {} });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { code: string }).code, 'invalid_transition');
    await h.poll(job.jobId, (j) => j.state === 'done' || j.state === 'failed');
  });
});
