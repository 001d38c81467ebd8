// Re-sync measures "changed in Jira" for issues made by creation against what creation recorded:
// the summary and description the create request carried, and Jira's `updated` read back once
// creation's own writes were over. Into a project whose create screens have no Description the
// issues are made without one, and a re-sync of the same page finds nothing changed; an edit in
// Jira that leaves summary and description alone (another field) is still seen, and the update it
// would have overwritten is held. Our own later writes are not such an edit: a later job's new issue
// related to an earlier one moves that issue's `updated` in Jira, and its baseline moves with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './support/inProcess.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';
import type { ResyncResponse } from '../../core/server/resyncRoutes.ts';
import type { JobStatusView } from '../../core/server/jobView.ts';
import { resyncStoreOf } from '../../core/jobs/resyncStore.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import { breakDown, PAGE_ID, resyncWhenBuilt, V1, V2, v1Keys, waitForState } from './support/resyncScenario.ts';

async function createdInJira(h: Harness, requestedBy: string): Promise<string> {
  const jobId = await breakDown(h, requestedBy);
  await h.admin(`/api/jobs/${jobId}/approve`, { json: { by: 'lead' } });
  const done = await waitForState(h, jobId, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  return jobId;
}

const writes = (h: Harness) => h.fake.requests.filter((r) => (r.method === 'PUT' && /^\/rest\/api\/3\/issue\/[^/]+$/.test(r.path)) || /\/comment$|\/transitions$/.test(r.path)).length;

test('issues created in a project without Description on its create screens are not "changed in Jira" when the same page is broken down again', async (t) => {
  const h = await startHarness({ env: { SPEC2TICKETS_JIRA_PROJECT: 'LEAN' } });
  t.after(() => h.close());
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  const first = await createdInJira(h, 'first');
  const keys = v1Keys(h.fake);
  assert.ok(h.fake.issues.length >= 5 && h.fake.issues.every((i) => i.projectKey === 'LEAN' && i.fields.description === undefined), 'created without descriptions');

  // What creation recorded: the summary it sent, no description, Jira's `updated` after its writes.
  const recorded = resyncStoreOf(h.backend.store)!.createdBaselines(first);
  assert.equal(recorded.size, h.fake.issues.length);
  const created = await h.backend.store.createdIssues(first);
  for (const c of created) {
    const issue = h.fake.issues.find((i) => i.key === c.key)!;
    assert.deepEqual(recorded.get(c.itemId), { sent: { summary: issue.fields.summary, descriptionText: '' }, jiraUpdated: issue.updated }, c.key);
  }

  const before = { issues: h.fake.issues.length, writes: writes(h) };
  const second = await breakDown(h, 'second');
  const r = await resyncWhenBuilt(h, second);
  const plan = r.plan!;
  assert.equal(plan.jiraCheck, 'ok');
  assert.deepEqual([plan.updates.length, plan.marks.length], [0, 0], 'the page did not change');
  assert.deepEqual(plan.unchanged.map((u) => u.issueKey).sort(), [keys.fr1, keys.fr2, keys.fr3, keys.fr4].sort());
  assert.deepEqual(plan.unchanged.filter((u) => u.changedInJira).map((u) => `${u.issueKey}: ${u.changedInJira!.message}`), [], 'nothing flagged "changed in Jira"');
  assert.deepEqual([r.counts.held, r.counts.update, r.counts.mark, r.counts.create], [0, 0, 0, 0]);

  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  const done = await waitForState(h, second, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  assert.equal(done.progress.held ?? 0, 0, 'nothing held');
  assert.deepEqual({ issues: h.fake.issues.length, writes: writes(h) }, before, 'nothing created, edited or commented');
  h.fake.assertNoViolations();
});

test('an issue edited in Jira in a field other than summary and description, or only in its formatting, after creation is flagged, and its update is held', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  await createdInJira(h, 'first');
  const keys = v1Keys(h.fake);

  // Someone raises FR-2's priority, labels FR-4 and puts FR-1's description in bold; summaries and
  // the descriptions' words stay as written.
  h.fake.editIssue(keys.fr2, { priority: { id: '2', name: 'High' } });
  const fr4 = h.fake.issues.find((i) => i.key === keys.fr4)!;
  h.fake.editIssue(keys.fr4, { labels: [...fr4.labels, 'finance-review'] });
  const bold = (n: { type?: string; marks?: unknown[]; content?: unknown[] }): unknown =>
    n.type === 'text' ? { ...n, marks: [...(n.marks ?? []), { type: 'strong' }] } : { ...n, ...(n.content ? { content: n.content.map((c) => bold(c as typeof n)) } : {}) };
  const fr1 = h.fake.issues.find((i) => i.key === keys.fr1)!;
  h.fake.editIssue(keys.fr1, { description: bold(fr1.fields.description as { content: unknown[] }) });
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
  const second = await breakDown(h, 'second');
  const r = await resyncWhenBuilt(h, second);
  const plan = r.plan!;
  assert.equal(plan.jiraCheck, 'ok');

  const fr2 = plan.updates.find((u) => u.issueKey === keys.fr2)!;
  assert.ok(fr2, 'FR-2 was reworded on the page: an update is proposed');
  assert.deepEqual(fr2.changedInJira?.fields, ['updated']);
  assert.match(fr2.changedInJira!.message, /^Changed in Jira since Spec2Tickets wrote it \(another field or the formatting, last updated \d{4}-/);
  assert.equal(r.actions[keys.fr2]!.action, 'hold');
  const unchanged = new Map(plan.unchanged.map((u) => [u.issueKey, u]));
  assert.deepEqual(unchanged.get(keys.fr4)?.changedInJira?.fields, ['updated'], 'FR-4 (moved on the page) was labelled in Jira');
  assert.deepEqual(unchanged.get(keys.fr1)?.changedInJira?.fields, ['updated'], 'FR-1\'s formatting changed, not its words');
  assert.equal(plan.marks.find((m) => m.issueKey === keys.fr3)?.changedInJira, null, 'FR-3 nobody touched');
  assert.equal(r.counts.held, 1);

  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  const done = await waitForState(h, second, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  const issue = h.fake.issues.find((i) => i.key === keys.fr2)!;
  assert.match(String(issue.fields.summary), /^FR-2: The customer must receive an email when the refund is issued/, 'the held issue keeps its text');
  assert.equal(h.fake.requests.filter((x) => x.method === 'PUT' && x.path === `/rest/api/3/issue/${keys.fr2}`).length, 0, 'FR-2 not edited');
  assert.equal(issue.comments.length, 0);
  h.fake.assertNoViolations();
});

/** Job 2 breaks version 2 down with FR-5's new issue related to an issue job 1 created, and is approved. */
async function relateNewRequirementTo(h: Harness, issueKey: string): Promise<{ second: string; done: JobStatusView }> {
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
  const second = await breakDown(h, 'second');
  await resyncWhenBuilt(h, second);
  const detail = (await (await h.admin(`/api/jobs/${second}`)).json()) as JobDetailResponse;
  const fr5 = flattenBreakdown(parseBreakdown(detail.breakdown.latest!.body)).find((x) => /^FR-5/.test(x.item.title))!;
  const decided = await h.admin(`/api/jobs/${second}/duplicates/${fr5.item.id}`, { method: 'PUT', json: { issueKey, decision: 'link', by: 'lead' } });
  assert.equal(decided.status, 200, await decided.text());
  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  const done = await waitForState(h, second, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  const fr5Issue = h.fake.issues.find((i) => /^FR-5/.test(String(i.fields.summary)))!;
  assert.equal(h.fake.links.filter((l) => l.type === 'Relates' && [l.inwardKey, l.outwardKey].sort().join() === [fr5Issue.key, issueKey].sort().join()).length, 1, 'FR-5 relates to it');
  return { second, done };
}

test('a link a later job makes to an issue an earlier job created is not a change made in Jira: the next re-sync flags nothing', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  const first = await createdInJira(h, 'first');
  const keys = v1Keys(h.fake);
  const fr4Before = h.fake.issues.find((i) => i.key === keys.fr4)!.updated;
  await relateNewRequirementTo(h, keys.fr4);
  const fr4 = h.fake.issues.find((i) => i.key === keys.fr4)!;
  assert.ok(fr4.updated > fr4Before, 'the link moved FR-4\'s updated in Jira');
  const fr4Item = (await h.backend.store.createdIssues(first)).find((c) => c.key === keys.fr4)!.itemId;
  assert.equal(resyncStoreOf(h.backend.store)!.createdBaselines(first).get(fr4Item)?.jiraUpdated, fr4.updated, 'its baseline followed our own link');

  // The same page broken down again: nobody changed anything in Jira.
  const third = await breakDown(h, 'third');
  const plan = (await resyncWhenBuilt(h, third)).plan!;
  assert.equal(plan.jiraCheck, 'ok');
  const all = [...plan.updates, ...plan.marks, ...plan.unchanged];
  assert.ok(all.some((p) => p.issueKey === keys.fr4));
  assert.deepEqual(all.filter((p) => p.changedInJira).map((p) => `${p.issueKey}: ${p.changedInJira!.message}`), [], 'nothing flagged "changed in Jira"');

  // Someone edits FR-4 now: that is seen.
  h.fake.editIssue(keys.fr4, { priority: { id: '1', name: 'Highest' } });
  const again = (await (await h.admin(`/api/jobs/${third}/resync/rebuild`, { method: 'POST', json: {} })).json()) as ResyncResponse;
  assert.deepEqual([...again.plan!.unchanged, ...again.plan!.updates].find((p) => p.issueKey === keys.fr4)?.changedInJira?.fields, ['updated']);
  h.fake.assertNoViolations();
});

test('the update of an issue this job\'s own creation linked to is applied, not held as changed in Jira', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  await createdInJira(h, 'first');
  const keys = v1Keys(h.fake);
  const { done } = await relateNewRequirementTo(h, keys.fr2);
  assert.deepEqual([done.progress.updated, done.progress.held], [1, 0], 'FR-2 updated, nothing held');
  assert.equal(h.fake.issues.find((i) => i.key === keys.fr2)!.fields.summary, 'FR-2: The customer must receive an email and a text message when the refund is paid');
  h.fake.assertNoViolations();
});
