// The Jira project a job targets: asked for through the public API (the Forge admin page's choice),
// restricted by the backend's allowedProjects, changed by a reviewer before approval, and used for
// creation and the duplicate search.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpusPage } from '../corpus/index.ts';
import { startHarness, type Harness } from './support/inProcess.ts';
import { parseBreakdown } from '../../core/breakdown/schema.ts';
import type { JobAuditResponse, JobDetailResponse, ProjectChangeResponse } from '../../core/server/admin.ts';
import type { JobStatusView } from '../../core/server/jobView.ts';

type ErrorBody = { code: string; message: string; fields?: string[] };

describe('a job names the Jira project its issues go to', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ env: { SPEC2TICKETS_ALLOWED_PROJECTS: 'PAY, TEAM' } });
    h.fake.addPage({ id: '701', title: 'Onboarding stories', storage: loadCorpusPage('user-stories-onboarding').content, version: 2 });
  });
  after(() => h.close());

  const request = (body: Record<string, unknown>) => h.pub('/v1/jobs', { json: { pageId: '701', siteUrl: h.fake.url, requestedBy: 'acc-1', ...body } });

  test('a job asking for a project keeps it, and the same request for another project is another job', async () => {
    const team = await request({ projectKey: 'TEAM', requestedBy: 'acc-dedupe' });
    assert.equal(team.status, 202, await team.clone().text());
    const { jobId } = (await team.json()) as { jobId: string };
    const status = (await (await h.pub(`/v1/jobs/${jobId}`)).json()) as JobStatusView;
    assert.equal(status.projectKey, 'TEAM');

    const again = await request({ projectKey: 'TEAM', requestedBy: 'acc-dedupe' });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { jobId: string }).jobId, jobId, 'same page, version, requester and project: the open job');

    const other = await request({ projectKey: 'PAY', requestedBy: 'acc-dedupe' });
    assert.equal(other.status, 202, 'another project is another job');
    const none = await request({ requestedBy: 'acc-dedupe' });
    assert.equal(none.status, 202, 'no project (the backend default) is another job too');
    const noneJob = (await none.json()) as { jobId: string };
    assert.equal(((await (await h.pub(`/v1/jobs/${noneJob.jobId}`)).json()) as JobStatusView).projectKey, null);
  });

  test('a project key that is not a Jira key is refused with 400 naming the field', async () => {
    for (const projectKey of ['pay', 'PAY-1', 'TOOLONGPROJECT', '', 7]) {
      const res = await request({ projectKey });
      assert.equal(res.status, 400, String(projectKey));
      const body = (await res.json()) as ErrorBody;
      assert.equal(body.code, 'validation_failed');
      assert.deepEqual(body.fields, ['projectKey']);
    }
  });

  test('a project the backend does not allow is refused with project_not_allowed and what is allowed', async () => {
    const res = await request({ projectKey: 'OPS' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.code, 'project_not_allowed');
    assert.deepEqual(body.fields, ['projectKey']);
    assert.match(body.message, /Jira project OPS/);
    assert.match(body.message, /PAY, TEAM/);
    const jobs = (await (await h.admin('/api/jobs?limit=500')).json()) as { jobs: JobStatusView[] };
    assert.ok(!jobs.jobs.some((j) => j.projectKey === 'OPS'), 'no job was stored');
  });

  test('approval creates the issues in the project the job asked for, not the backend default', async () => {
    const res = await request({ projectKey: 'TEAM', requestedBy: 'acc-team' });
    const { jobId } = (await res.json()) as { jobId: string };
    await h.poll(jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    const detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    assert.deepEqual(detail.targetProject, { key: 'TEAM', source: 'job' });
    const before = h.fake.issues.length;
    assert.equal((await h.admin(`/api/jobs/${jobId}/approve`, { json: {} })).status, 200);
    const done = await h.poll(jobId, (j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    const created = h.fake.issues.slice(before);
    assert.ok(created.length > 0);
    assert.deepEqual([...new Set(created.map((i) => i.projectKey))], ['TEAM']);
    assert.ok(done.issues.every((i) => i.key.startsWith('TEAM-')));
    const searches = h.fake.requests.filter((r) => /search\/jql$/.test(r.path));
    assert.ok(searches.length > 0, 'Jira was searched');
    h.fake.assertNoViolations();
  });

  test('a reviewer changes the project before approving; the change is audited and creation follows it', async () => {
    const res = await request({ requestedBy: 'acc-review' });
    const { jobId } = (await res.json()) as { jobId: string };
    await h.poll(jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    let detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    assert.deepEqual(detail.targetProject, { key: 'PAY', source: 'settings' }, 'no project of its own: the backend default');
    const list = (await (await h.admin('/api/jobs?state=awaiting_review')).json()) as { defaultProjectKey: string | null };
    assert.equal(list.defaultProjectKey, 'PAY');

    const bad = await h.admin(`/api/jobs/${jobId}/project`, { method: 'PUT', json: { projectKey: 'team!' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(((await bad.json()) as ErrorBody).fields, ['projectKey']);

    const put = await h.admin(`/api/jobs/${jobId}/project`, { method: 'PUT', json: { projectKey: 'TEAM', by: 'reviewer-ann' } });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(((await put.json()) as JobStatusView).projectKey, 'TEAM');
    detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    assert.deepEqual(detail.targetProject, { key: 'TEAM', source: 'job' });
    const audit = ((await (await h.admin(`/api/jobs/${jobId}/audit?limit=500`)).json()) as JobAuditResponse).entries;
    const change = audit.find((a) => a.action === 'job.project_changed');
    assert.ok(change, JSON.stringify(audit.map((a) => a.action)));
    assert.equal(change.actor, 'reviewer-ann');
    assert.deepEqual(change.details, { from: null, to: 'TEAM' });

    const before = h.fake.issues.length;
    assert.equal((await h.admin(`/api/jobs/${jobId}/approve`, { json: {} })).status, 200);
    const late = await h.admin(`/api/jobs/${jobId}/project`, { method: 'PUT', json: { projectKey: 'PAY' } });
    assert.equal(late.status, 409, 'no change once approved');
    assert.equal(((await late.json()) as ErrorBody).code, 'not_in_review');
    const done = await h.poll(jobId, (j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    assert.deepEqual([...new Set(h.fake.issues.slice(before).map((i) => i.projectKey))], ['TEAM']);
    h.fake.assertNoViolations();
  });
});

describe('duplicate decisions follow the job\'s project', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.fake.addPage({ id: '702', title: 'Onboarding stories', storage: loadCorpusPage('user-stories-onboarding').content, version: 1 });
  });
  after(() => h.close());

  test('changing the project clears the decisions about the old project\'s issues, audits it and says so', async () => {
    const res = await h.pub('/v1/jobs', { json: { pageId: '702', siteUrl: h.fake.url, requestedBy: 'acc-dup' } });
    const { jobId } = (await res.json()) as { jobId: string };
    const review = await h.poll(jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    assert.equal(review.state, 'awaiting_review', JSON.stringify(review.error));
    const detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    const bd = parseBreakdown(detail.breakdown.latest!.body);
    const [epic, second] = bd.epics;
    const story = epic!.stories[0]!;
    assert.ok(second, 'the page breaks down into at least two epics');
    const decide = async (itemId: string, issueKey: string, decision: 'create' | 'link') =>
      assert.equal((await h.admin(`/api/jobs/${jobId}/duplicates/${itemId}`, { method: 'PUT', json: { issueKey, decision } })).status, 200);
    const pay1 = h.fake.addIssue({ projectKey: 'PAY', summary: 'Onboarding checklist (older ticket)' });
    const pay2 = h.fake.addIssue({ projectKey: 'PAY', summary: 'Welcome email (older ticket)' });
    const team = h.fake.addIssue({ projectKey: 'TEAM', summary: 'Onboarding (team ticket)' });
    await decide(epic!.id, pay1.key, 'link');
    await decide(story.id, pay2.key, 'create');
    await decide(second!.id, team.key, 'link');

    // From the backend default (PAY) to TEAM: the two decisions about PAY issues no longer apply.
    const put = await h.admin(`/api/jobs/${jobId}/project`, { method: 'PUT', json: { projectKey: 'TEAM', by: 'reviewer-ann' } });
    assert.equal(put.status, 200, await put.clone().text());
    const body = (await put.json()) as ProjectChangeResponse;
    assert.equal(body.projectKey, 'TEAM');
    assert.equal(body.duplicatesCleared?.count, 2);
    assert.equal(body.duplicatesCleared?.reason, 'project_changed');
    assert.match(body.duplicatesCleared?.message ?? '', /2 duplicate decisions about PAY issues were cleared .*TEAM/);
    let after = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    assert.deepEqual(after.duplicates.decisions.map((d) => [d.itemId, d.issueKey]), [[second!.id, team.key]], 'the decision about a TEAM issue stays');
    const cleared = ((await (await h.admin(`/api/jobs/${jobId}/audit?limit=500`)).json()) as JobAuditResponse).entries.filter((a) => a.action === 'duplicates.cleared');
    assert.equal(cleared.length, 1);
    assert.equal(cleared[0]!.actor, 'reviewer-ann');
    assert.deepEqual(cleared[0]!.details, { count: 2, reason: 'project_changed' });

    // Back to the backend default: now the TEAM decision is the stale one.
    const back = (await (await h.admin(`/api/jobs/${jobId}/project`, { method: 'PUT', json: { projectKey: null } })).json()) as ProjectChangeResponse;
    assert.equal(back.duplicatesCleared?.count, 1);
    assert.match(back.duplicatesCleared?.message ?? '', /1 duplicate decision about TEAM issues was cleared .*PAY/);
    after = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    assert.deepEqual(after.duplicates.decisions, []);

    // Naming the default project explicitly changes where nothing goes: no decision is touched.
    await decide(epic!.id, pay1.key, 'link');
    const same = (await (await h.admin(`/api/jobs/${jobId}/project`, { method: 'PUT', json: { projectKey: 'PAY' } })).json()) as ProjectChangeResponse;
    assert.equal(same.duplicatesCleared, null);
    after = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    assert.deepEqual(after.duplicates.decisions.map((d) => d.issueKey), [pay1.key]);
  });
});

describe('without an allow-list any project may be asked for', () => {
  test('a backend with allowedProjects empty accepts a project it has no setting for', async (t) => {
    const h = await startHarness();
    t.after(() => h.close());
    const res = await h.pub('/v1/jobs', { json: { pageId: '5', siteUrl: h.fake.url, requestedBy: 'a', projectKey: 'OPS' } });
    assert.equal(res.status, 202, await res.clone().text());
  });
});
