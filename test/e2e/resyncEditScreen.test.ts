// Re-sync writes only what an issue's edit screen offers. In LEAN neither the create nor the edit
// screens have Description: the update of a reworded requirement edits its summary, and the page's
// new description and acceptance criteria go into the re-sync comment; the job ends done and says
// which fields went there and why, and a later re-sync does not take the description Jira never got
// for a change made in Jira. In TRI the create screens lack Description but the edit screens have
// it: the update writes the description as in any other project. In both, the plan says before
// approval which changed fields will go into the comment, and approval puts exactly those there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './support/inProcess.ts';
import type { ResyncResponse } from '../../core/server/resyncRoutes.ts';
import { adfText } from '../../core/jira/updateIssues.ts';
import { breakDown, PAGE_ID, resyncWhenBuilt, V1, V2, v1Keys, waitForState } from './support/resyncScenario.ts';

const FR2_V2 = 'FR-2: The customer must receive an email and a text message when the refund is paid';

/** Version 1 created in the project, then version 2 broken down and its re-sync approved as proposed. */
async function resyncInto(h: Harness): Promise<{ second: string; keys: ReturnType<typeof v1Keys>; plan: ResyncResponse }> {
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  const first = await breakDown(h, 'first');
  await h.admin(`/api/jobs/${first}/approve`, { json: { by: 'lead' } });
  assert.equal((await waitForState(h, first, (s) => s === 'done' || s === 'failed')).state, 'done');
  const keys = v1Keys(h.fake);
  assert.equal(h.fake.issues.find((i) => i.key === keys.fr2)!.fields.description, undefined, 'created without a description: the create screen has none');
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
  const second = await breakDown(h, 'second');
  const plan = await resyncWhenBuilt(h, second);
  assert.equal(plan.plan!.jiraCheck, 'ok');
  assert.deepEqual(plan.plan!.updates.map((u) => u.issueKey), [keys.fr2]);
  assert.equal(plan.plan!.updates[0]!.changedInJira, null);
  // The plan read the edit screen as approval will: one editmeta for the one (project, issue type, status).
  assert.equal(h.fake.requests.filter((r) => r.method === 'GET' && /\/editmeta$/.test(r.path)).length, 1, 'one edit screen read for the plan');
  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  return { second, keys, plan };
}

test('an edit screen without Description: the summary is updated, the new description and criteria go into the comment, the job ends done and says so', async (t) => {
  const h = await startHarness({ env: { SPEC2TICKETS_JIRA_PROJECT: 'LEAN' } });
  t.after(() => h.close());
  const { second, keys, plan } = await resyncInto(h);
  const proposed = plan.plan!.updates[0]!;
  const after = (field: string) => proposed.changes.find((c) => c.field === field)!.after;
  // Before approval, the plan says which fields will go into the comment, and why.
  assert.deepEqual(proposed.inComment, ['description', 'acceptanceCriteria', 'estimate']);
  assert.equal(proposed.inCommentWhy, "Description is not on the issue's edit screen in Jira; its issue type has no estimate field Spec2Tickets can set");
  assert.equal(proposed.inCommentFix, "add Description to the issue's edit screen in Jira to have it written");
  assert.equal(proposed.editScreenUnknown, undefined);
  const action = plan.actions[keys.fr2]!;
  assert.ok(action.action === 'update');
  assert.deepEqual(action.inComment, proposed.inComment, 'as proposed, approval takes every changed field');
  const done = await waitForState(h, second, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  assert.deepEqual([done.progress.updated, done.progress.marked], [1, 1]);

  const fr2 = h.fake.issues.find((i) => i.key === keys.fr2)!;
  assert.equal(fr2.fields.summary, FR2_V2);
  assert.equal(fr2.fields.description, undefined);
  assert.equal(h.fake.requests.filter((r) => r.method === 'PUT' && r.path === `/rest/api/3/issue/${keys.fr2}` && r.status === 204).length, 1, 'one edit, accepted');
  assert.equal(h.fake.requests.filter((r) => r.method === 'PUT' && r.status === 400).length, 0, 'Jira refused nothing');
  assert.equal(fr2.comments.length, 1);
  const comment = adfText(fr2.comments[0]!.body);
  assert.match(comment, /Updated from the page: summary\. Not written to the issue's fields \(Description is not on the issue's edit screen in Jira; its issue type has no estimate field Spec2Tickets can set\): description, acceptance criteria, estimate\./);
  for (const text of [after('description') as string, ...(after('acceptanceCriteria') as string[])]) assert.ok(comment.includes(text.replace(/\s+/g, ' ').trim().slice(0, 60)), `the comment quotes "${text}": ${comment}`);
  // The marked issue is labelled and commented as anywhere else (Labels is on LEAN's edit screens).
  assert.ok(h.fake.issues.find((i) => i.key === keys.fr3)!.labels.includes('spec-removed'));

  // The reviewer is told which fields went into the comment and why: in the job's outcome and in the re-sync steps.
  const audit = await h.backend.store.auditLog(second);
  const finished = audit.find((a) => a.action === 'state.done')!;
  assert.deepEqual((finished.details as { inComment?: unknown }).inComment, [{ key: keys.fr2, fields: ['description', 'acceptanceCriteria', 'estimate'] }]);
  const warnings = (finished.details as { warnings?: string[] }).warnings ?? [];
  assert.ok(
    warnings.some((w) => w === `${keys.fr2}: description, acceptance criteria, estimate not written to the issue (Description is not on the issue's edit screen in Jira; its issue type has no estimate field Spec2Tickets can set); the new text is in the re-sync comment on it.`),
    warnings.join('\n'),
  );
  const view = (await (await h.admin(`/api/jobs/${second}/resync`)).json()) as ResyncResponse;
  const edit = view.steps.find((s) => s.issueKey === keys.fr2 && s.step === 'edit')!;
  assert.deepEqual([edit.state, edit.inComment], ['done', ['description', 'acceptanceCriteria', 'estimate']]);
  assert.deepEqual(edit.inComment, proposed.inComment, 'approval put into the comment what the plan said it would');
  assert.ok(comment.includes(`(${proposed.inCommentWhy})`), 'and the comment gives the reason the plan gave');

  // Broken down again: the description Jira never got is not a change made in Jira, and nothing is proposed again.
  const third = await breakDown(h, 'third');
  const again = (await resyncWhenBuilt(h, third)).plan!;
  assert.equal(again.jiraCheck, 'ok');
  const all = [...again.updates, ...again.marks, ...again.unchanged];
  assert.ok(all.some((p) => p.issueKey === keys.fr2));
  assert.deepEqual(all.filter((p) => p.changedInJira).map((p) => `${p.issueKey}: ${p.changedInJira!.message}`), [], 'nothing flagged "changed in Jira"');
  assert.deepEqual(again.updates, []);
  h.fake.assertNoViolations();
});

test('an edit screen with the Description its create screen lacks: the update writes the description, and the comment quotes nothing', async (t) => {
  const h = await startHarness({ env: { SPEC2TICKETS_JIRA_PROJECT: 'TRI' } });
  t.after(() => h.close());
  const { second, keys, plan } = await resyncInto(h);
  // Before approval: the description fits the edit screen; only the estimate (TRI's stories have no story points field) goes into the comment.
  const proposed = plan.plan!.updates[0]!;
  assert.deepEqual(proposed.editScreen, { lacks: ['estimate'], estimateField: null });
  assert.deepEqual(proposed.inComment, ['estimate']);
  const done = await waitForState(h, second, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  const fr2 = h.fake.issues.find((i) => i.key === keys.fr2)!;
  assert.equal(fr2.fields.summary, FR2_V2);
  assert.match(adfText(fr2.fields.description), /a text message when the refund is paid/);
  assert.equal(fr2.comments.length, 1);
  assert.doesNotMatch(adfText(fr2.comments[0]!.body), /Not written to the issue's fields \(Description/);
  const view = (await (await h.admin(`/api/jobs/${second}/resync`)).json()) as ResyncResponse;
  const edit = view.steps.find((s) => s.issueKey === keys.fr2 && s.step === 'edit')!;
  assert.ok(!edit.inComment.includes('description'));
  assert.deepEqual(edit.inComment, proposed.inComment, 'approval put into the comment what the plan said it would');
  h.fake.assertNoViolations();
});

test('an edit screen Jira will not show at plan time: the plan says it is not known which fields go into the comment, and why', async (t) => {
  const h = await startHarness({ env: { SPEC2TICKETS_JIRA_PROJECT: 'LEAN' } });
  t.after(() => h.close());
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  const first = await breakDown(h, 'first');
  await h.admin(`/api/jobs/${first}/approve`, { json: { by: 'lead' } });
  assert.equal((await waitForState(h, first, (s) => s === 'done' || s === 'failed')).state, 'done');
  const keys = v1Keys(h.fake);
  h.fake.failNext(/\/editmeta$/, { status: 403, times: 100 });
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
  const second = await breakDown(h, 'second');
  const view = await resyncWhenBuilt(h, second);
  assert.equal(view.plan!.jiraCheck, 'ok', 'the issues themselves were read');
  const proposed = view.plan!.updates.find((u) => u.issueKey === keys.fr2)!;
  assert.equal(proposed.inComment, undefined);
  assert.equal(proposed.editScreen, undefined);
  assert.match(proposed.editScreenUnknown ?? '', new RegExp(`^Not known whether some of these fields go into the re-sync comment instead \\(Jira could not be asked for the edit screen of ${keys.fr2}\\): .*\\(403\\)`));
  const action = view.actions[keys.fr2]!;
  assert.ok(action.action === 'update' && action.inComment === undefined);
});

test('an edit screen without Labels: the removed requirement\'s issue is commented and moved but not labelled, the plan said so before approval, and the job ends done naming it', async (t) => {
  const h = await startHarness({ env: { SPEC2TICKETS_JIRA_PROJECT: 'TAG' } });
  t.after(() => h.close());
  assert.equal((await h.admin('/api/resync/settings', { method: 'PUT', json: { removedTransition: "Won't Do", by: 'admin' } })).status, 200);
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  const first = await breakDown(h, 'first');
  await h.admin(`/api/jobs/${first}/approve`, { json: { by: 'lead' } });
  assert.equal((await waitForState(h, first, (s) => s === 'done' || s === 'failed')).state, 'done');
  const keys = v1Keys(h.fake);
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
  const second = await breakDown(h, 'second');
  const view = await resyncWhenBuilt(h, second);
  assert.equal(view.plan!.jiraCheck, 'ok');
  // Before approval: the plan says FR-3's issue will not be labelled, from the one edit screen read (FR-2 and FR-3 are stories in one status).
  const mark = view.plan!.marks.find((m) => m.issueKey === keys.fr3)!;
  assert.deepEqual(mark.editScreen, { lacks: ['labels'] });
  assert.equal(mark.editScreenUnknown, undefined);
  assert.deepEqual(view.plan!.updates.find((u) => u.issueKey === keys.fr2)?.editScreen, { lacks: ['estimate'], estimateField: null });
  assert.equal(h.fake.requests.filter((r) => r.method === 'GET' && /\/editmeta$/.test(r.path)).length, 1, 'one edit screen read for the plan');
  assert.equal(view.actions[keys.fr3]!.action, 'mark');

  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  const done = await waitForState(h, second, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  assert.deepEqual([done.progress.updated, done.progress.marked], [1, 1]);
  const fr3 = h.fake.issues.find((i) => i.key === keys.fr3)!;
  assert.deepEqual(fr3.labels.filter((l) => l === 'spec-removed'), [], 'not labelled');
  assert.equal(fr3.status, "Won't Do");
  assert.equal(fr3.comments.length, 1);
  assert.match(adfText(fr3.comments[0]!.body), /no longer on the specification page \(version 1 → 2\).*nor labelled spec-removed ?: Labels is not on its edit screen in Jira.*refund part of an order/);
  assert.equal(h.fake.requests.filter((r) => r.method === 'PUT' && r.path === `/rest/api/3/issue/${keys.fr3}`).length, 0, 'no label sent');
  assert.equal(h.fake.requests.filter((r) => r.method === 'PUT' && r.status === 400).length, 0, 'Jira refused nothing');

  // The job's outcome names it, and the label step says it was done without the label.
  const audit = await h.backend.store.auditLog(second);
  const doneRow = audit.find((a) => a.action === 'state.done')!.details as { warnings?: string[]; unlabelled?: string[] };
  assert.deepEqual(doneRow.unlabelled, [keys.fr3]);
  const warnings = doneRow.warnings ?? [];
  assert.ok(
    warnings.includes(`${keys.fr3} was commented (and moved to Won't Do) but not labelled spec-removed: Labels is not on its edit screen in Jira; add Labels to the edit screen to have removed issues labelled.`),
    warnings.join('\n'),
  );
  const after = (await (await h.admin(`/api/jobs/${second}/resync`)).json()) as ResyncResponse;
  const label = after.steps.find((s) => s.issueKey === keys.fr3 && s.step === 'label')!;
  assert.deepEqual([label.state, label.unlabelled], ['done', true]);

  // Broken down again: the issue counts as marked, and is not proposed for marking again.
  const third = await breakDown(h, 'third');
  const again = (await resyncWhenBuilt(h, third)).plan!;
  assert.deepEqual(again.marks.map((m) => m.issueKey), []);
  h.fake.assertNoViolations();
});
