// The reviewer's "link" decision on a likely duplicate: the item is created and related to the
// existing issue with Jira's "Relates" link — at creation where the create screen allows it, by a
// request of its own where it does not — and a resumed creation never links twice.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpusPage } from '../corpus/index.ts';
import { parseBreakdown } from '../../core/breakdown/schema.ts';
import { startHarness, type Harness } from './support/inProcess.ts';
import type { JobAuditResponse, JobDetailResponse } from '../../core/server/admin.ts';
import type { DuplicateDecision } from '../../core/store/types.ts';

describe('a likely duplicate the reviewer links instead of skipping', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.fake.addPage({ id: '801', title: 'Onboarding stories', storage: loadCorpusPage('user-stories-onboarding').content, version: 1 });
  });
  after(() => h.close());

  /** A job in review for page 801 and the id of its first epic. */
  async function jobInReview(requestedBy: string, projectKey?: string): Promise<{ jobId: string; epicId: string }> {
    const res = await h.pub('/v1/jobs', { json: { pageId: '801', siteUrl: h.fake.url, requestedBy, ...(projectKey ? { projectKey } : {}) } });
    const { jobId } = (await res.json()) as { jobId: string };
    const review = await h.poll(jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    assert.equal(review.state, 'awaiting_review', JSON.stringify(review.error));
    const detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    const epicId = parseBreakdown(detail.breakdown.latest!.body).epics[0]!.id;
    return { jobId, epicId };
  }

  const relatesLinks = (existingKey: string) =>
    h.fake.links.filter((l) => l.type === 'Relates' && (l.inwardKey === existingKey || l.outwardKey === existingKey));

  test('the admin API accepts link and refuses an unknown decision', async () => {
    const { jobId, epicId } = await jobInReview('acc-api');
    const existing = h.fake.addIssue({ projectKey: 'PAY', summary: 'Onboarding checklist (older ticket)' });
    const bad = await h.admin(`/api/jobs/${jobId}/duplicates/${epicId}`, { method: 'PUT', json: { issueKey: existing.key, decision: 'merge' } });
    assert.equal(bad.status, 400);
    assert.deepEqual(((await bad.json()) as { fields?: string[] }).fields, ['decision']);
    const ok = await h.admin(`/api/jobs/${jobId}/duplicates/${epicId}`, { method: 'PUT', json: { issueKey: existing.key, decision: 'link', by: 'reviewer-ann' } });
    assert.equal(ok.status, 200, await ok.clone().text());
    const { duplicates } = (await ok.json()) as { duplicates: DuplicateDecision[] };
    assert.deepEqual(duplicates.map((d) => [d.itemId, d.issueKey, d.decision, d.decidedBy]), [[epicId, existing.key, 'link', 'reviewer-ann']]);
    assert.equal((await h.admin(`/api/jobs/${jobId}/cancel`, { json: {} })).status, 200);
  });

  test('a linked item is created with exactly one Relates link to the existing issue, even when a lost response makes creation resume', async () => {
    const { jobId, epicId } = await jobInReview('acc-resume');
    const existing = h.fake.addIssue({ projectKey: 'PAY', summary: 'Onboarding emails (older ticket)' });
    const put = await h.admin(`/api/jobs/${jobId}/duplicates/${epicId}`, { method: 'PUT', json: { issueKey: existing.key, decision: 'link' } });
    assert.equal(put.status, 200, await put.clone().text());

    // Jira creates the epics but the answer is lost: creation must find them (and their links) by label.
    h.fake.failNext(/\/rest\/api\/3\/issue\/bulk$/, { status: 500, afterHandling: true, method: 'POST' });
    assert.equal((await h.admin(`/api/jobs/${jobId}/approve`, { json: {} })).status, 200);
    const done = await h.poll(jobId, (j) => j.state === 'done' || j.state === 'failed', 30_000);
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    assert.ok(h.fake.requests.some((r) => r.injected), 'the lost response happened');

    const epicKey = done.issues.find((i) => i.itemId === epicId)?.key;
    assert.ok(epicKey, 'the linked item was created, not skipped');
    const links = relatesLinks(existing.key);
    assert.equal(links.length, 1, JSON.stringify(links));
    assert.deepEqual([links[0]!.inwardKey, links[0]!.outwardKey].sort(), [epicKey, existing.key].sort());
    assert.equal(links[0]!.createdWith, 'create', 'carried by the create request (Linked Issues is on the create screen)');
    assert.equal(h.fake.issues.filter((i) => i.properties.spec2tickets && (i.properties.spec2tickets as { itemId: string; jobId: string }).jobId === jobId && (i.properties.spec2tickets as { itemId: string }).itemId === epicId).length, 1, 'the epic exists once');
    h.fake.assertNoViolations();
  });

  test('where the create screen has no Linked Issues, the Relates link is its own request, made once', async () => {
    const { jobId, epicId } = await jobInReview('acc-team', 'TEAM');
    const existing = h.fake.addIssue({ projectKey: 'TEAM', summary: 'Onboarding (team ticket)' });
    assert.equal((await h.admin(`/api/jobs/${jobId}/duplicates/${epicId}`, { method: 'PUT', json: { issueKey: existing.key, decision: 'link' } })).status, 200);
    assert.equal((await h.admin(`/api/jobs/${jobId}/approve`, { json: {} })).status, 200);
    const done = await h.poll(jobId, (j) => j.state === 'done' || j.state === 'failed', 30_000);
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    const epicKey = done.issues.find((i) => i.itemId === epicId)?.key;
    const links = relatesLinks(existing.key);
    assert.equal(links.length, 1, JSON.stringify(links));
    assert.equal(links[0]!.createdWith, 'issueLink');
    assert.deepEqual([links[0]!.inwardKey, links[0]!.outwardKey], [epicKey, existing.key]);
    const audit = ((await (await h.admin(`/api/jobs/${jobId}/audit?limit=500`)).json()) as JobAuditResponse).entries;
    assert.ok(audit.some((a) => a.action === 'state.done'), 'the audit trail is read');
    assert.ok(!JSON.stringify(audit).includes('Could not link'), 'no link warning');
    h.fake.assertNoViolations();
  });
});
