import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeAtlassian } from '../../test/fakes/atlassian/server.ts';
import { createJiraClient } from './client.ts';
import { adfText, applyIssueUpdate, changedInJira, describeFields, editScreens, markIssueRemoved, readIssueState, readIssueStates, type IssueUpdate, type ResyncStepLedger } from './updateIssues.ts';
import type { EditRecord, ResyncStepName, WrittenFields } from '../jobs/resyncStore.ts';

class MemoryStepLedger implements ResyncStepLedger {
  readonly steps = new Map<string, { state: 'pending' | 'done'; record?: EditRecord; unlabelled?: boolean }>();
  /** Every record as it was written, in order: what was persisted before each request. */
  readonly log: { key: string; step: ResyncStepName; state: 'pending' | 'done'; inComment?: string[] }[] = [];
  step(jobId: string, key: string, step: ResyncStepName) {
    const s = this.steps.get(`${jobId}/${key}/${step}`);
    return s ? { state: s.state, ...(s.record ? { written: s.record.written, inJira: s.record.inJira, inComment: s.record.inComment } : {}), ...(s.unlabelled ? { unlabelled: true } : {}) } : undefined;
  }
  stepPending(jobId: string, key: string, step: ResyncStepName, record?: EditRecord) {
    if (this.steps.get(`${jobId}/${key}/${step}`)?.state === 'done') return;
    this.steps.set(`${jobId}/${key}/${step}`, { state: 'pending', ...(record ? { record } : {}) });
    this.log.push({ key, step, state: 'pending', ...(record ? { inComment: [...record.inComment] } : {}) });
  }
  stepDone(jobId: string, key: string, step: ResyncStepName, extra: { written?: WrittenFields | EditRecord; unlabelled?: boolean } = {}) {
    const record = extra.written && 'inJira' in extra.written ? extra.written : undefined;
    this.steps.set(`${jobId}/${key}/${step}`, { state: 'done', ...(record ? { record } : {}), ...(extra.unlabelled ? { unlabelled: true } : {}) });
    this.log.push({ key, step, state: 'done', ...(record ? { inComment: [...record.inComment] } : {}) });
  }
}

const JOB = '5f0c2a9e-0000-4000-8000-000000000001';
const source = { pageTitle: 'Payments', pageUrl: 'https://acme.example/wiki/p/1', blockIds: ['b-1'] };
const change = { pageTitle: 'Payments', pageUrl: 'https://acme.example/wiki/p/1', fromVersion: 1, toVersion: 2 };
const before: WrittenFields = { summary: 'FR-2: An email when the refund is issued', description: 'Email the customer.', acceptanceCriteria: ['An email is sent'], estimate: 1 };
const after: WrittenFields = { ...before, summary: 'FR-2: An email and a text message when the refund is paid', acceptanceCriteria: ['An email and a text message are sent'] };

async function setup() {
  const fake = await startFakeAtlassian();
  const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken }, { retry: { maxAttempts: 1 } });
  const issue = fake.addIssue({ projectKey: 'PAY', summary: before.summary, issueType: 'Story' });
  issue.fields.description = describeFields(before, source);
  const update: IssueUpdate = {
    issueKey: issue.key,
    level: 'story',
    changes: { summary: after.summary, acceptanceCriteria: after.acceptanceCriteria },
    result: after,
    source,
    baseline: { summary: before.summary, descriptionText: adfText(describeFields(before, source)), jiraUpdated: null },
    overwriteJira: false,
  };
  return { fake, client, issue, update };
}

test('many issues are read with one search per 100 keys; a key the search misses is read on its own', async (t) => {
  const fake = await startFakeAtlassian();
  t.after(() => fake.close());
  const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
  const keys = Array.from({ length: 150 }, (_, i) => fake.addIssue({ projectKey: 'PAY', summary: `Issue ${i}` }).key);
  const states = await readIssueStates(client, [...keys, 'PAY-9999']);
  assert.equal(fake.count(/\/search\/jql$/, 'POST'), 2, '150 issues, 2 searches');
  assert.equal(fake.count(/\/issue\/PAY-\d+$/, 'GET'), 1, 'only the missing key read on its own');
  assert.equal((states.get(keys[149]!) as { summary: string }).summary, 'Issue 149');
  assert.match((states.get('PAY-9999') as Error).message, /not found|does not exist|404/i);
  fake.assertNoViolations();
});

test('an edit whose answer was lost is recognised in Jira on resume, not sent again; the comment is written once', async (t) => {
  const { fake, client, issue, update } = await setup();
  t.after(() => fake.close());
  const ledger = new MemoryStepLedger();
  // The edit reached Jira but its record stayed pending (the backend died before Jira answered).
  ledger.stepPending(JOB, issue.key, 'edit');
  fake.editIssue(issue.key, { summary: after.summary, description: describeFields(after, source) });
  assert.deepEqual(await applyIssueUpdate({ client, ledger, jobId: JOB, update, change }), { status: 'updated', inComment: [] });
  assert.equal(fake.count(new RegExp(`/issue/${issue.key}$`), 'PUT'), 0, 'not edited again');
  assert.equal(issue.comments.length, 1);
  assert.deepEqual(await applyIssueUpdate({ client, ledger, jobId: JOB, update, change }), { status: 'updated', inComment: [] });
  assert.equal(issue.comments.length, 1, 'a second run writes no second comment');
  fake.assertNoViolations();
});

test('an issue changed in Jira is held; Jira refusing a field says which field and what to do', async (t) => {
  const { fake, client, issue, update } = await setup();
  t.after(() => fake.close());
  fake.editIssue(issue.key, { summary: 'Renamed by the team' });
  assert.deepEqual(changedInJira(await readIssueState(client, issue.key), update.baseline), ['summary']);
  const held = await applyIssueUpdate({ client, ledger: new MemoryStepLedger(), jobId: JOB, update, change });
  assert.equal(held.status, 'held');
  assert.match((held as { message: string }).message, new RegExp(`${issue.key} was changed in Jira .*summary.*overwrite`));
  assert.equal(issue.fields.summary, 'Renamed by the team');
  fake.rejectField('description', 'Description is read-only in this workflow step.');
  await assert.rejects(applyIssueUpdate({ client, ledger: new MemoryStepLedger(), jobId: JOB, update: { ...update, overwriteJira: true }, change }), /Jira refused the update of PAY-1: .*read-only.*Check that summary, acceptanceCriteria are on the issue's edit screen, or decline that field/);
});

test('a removed requirement: labelled once (not again when already labelled), commented once, moved by the chosen transition; an unknown transition warns; Jira refusing the label on a screen that has Labels says what to do', async (t) => {
  const { fake, client, issue } = await setup();
  t.after(() => fake.close());
  const ledger = new MemoryStepLedger();
  fake.editIssue(issue.key, { labels: ['spec-removed'] });
  const r = await markIssueRemoved({ client, ledger, jobId: JOB, issueKey: issue.key, removedText: ['FR-3: Refund part of an order.'], change, transition: 'Done' });
  assert.deepEqual(r.warnings, []);
  assert.equal(fake.count(new RegExp(`/issue/${issue.key}$`), 'PUT'), 0, 'the label was there already');
  assert.equal(issue.status, 'Done');
  assert.match(adfText(issue.comments[0]!.body), /no longer on the specification page \(version 1 → 2\).*Refund part of an order/);
  const other = fake.addIssue({ projectKey: 'PAY', summary: 'FR-9' });
  const w = await markIssueRemoved({ client, ledger, jobId: JOB, issueKey: other.key, removedText: [], change, transition: 'Archived' });
  assert.match(w.warnings[0]!, /has no transition "Archived".*labelled and commented only/);
  assert.deepEqual(other.labels, ['spec-removed']);
  // Labels on the edit screen, and Jira refuses the label all the same: its refusal says what to do, and nothing is commented.
  fake.rejectField('labels', 'A workflow validator refuses this label.');
  const refused = fake.addIssue({ projectKey: 'PAY', summary: 'FR-8' });
  await assert.rejects(
    markIssueRemoved({ client, ledger, jobId: JOB, issueKey: refused.key, removedText: [], change }),
    new RegExp(`Jira refused the label spec-removed on ${refused.key}: .*validator refuses this label.*Check that Labels is on the issue's edit screen, or decline marking it\\.`),
  );
  assert.equal(refused.comments.length, 0);
  fake.assertNoViolations();
});

test('an edit screen without Labels: the issue is commented and moved without the label, and says so; a resume after the comment neither labels nor reads the edit screen again', async (t) => {
  const { fake, client } = await setup();
  t.after(() => fake.close());
  const ledger = new MemoryStepLedger();
  const issue = fake.addIssue({ projectKey: 'TAG', summary: 'FR-3: Refund part of an order', issueType: 'Story' });
  // Killed after the comment: the transition's request fails.
  fake.failNext(/\/transitions$/, { status: 503, method: 'POST' });
  await assert.rejects(markIssueRemoved({ client, ledger, jobId: JOB, issueKey: issue.key, removedText: ['FR-3: Refund part of an order.'], change, transition: "Won't Do" }));
  assert.deepEqual([ledger.step(JOB, issue.key, 'label'), ledger.step(JOB, issue.key, 'comment')?.state], [{ state: 'done', unlabelled: true }, 'done']);
  assert.equal(issue.comments.length, 1);
  assert.match(adfText(issue.comments[0]!.body), /no longer on the specification page \(version 1 → 2\).*not deleted \(nor labelled spec-removed ?: Labels is not on its edit screen in Jira\).*Refund part of an order/);
  const r = await markIssueRemoved({ client, ledger, jobId: JOB, issueKey: issue.key, removedText: ['FR-3: Refund part of an order.'], change, transition: "Won't Do" });
  assert.deepEqual(r, {
    unlabelled: true,
    warnings: [`${issue.key} was commented (and moved to Won't Do) but not labelled spec-removed: Labels is not on its edit screen in Jira; add Labels to the edit screen to have removed issues labelled.`],
  });
  assert.equal(issue.status, "Won't Do");
  assert.deepEqual(issue.labels, []);
  assert.equal(issue.comments.length, 1, 'commented once');
  assert.equal(fake.count(new RegExp(`/issue/${issue.key}$`), 'PUT'), 0, 'no label was ever sent');
  assert.equal(fake.count(/\/editmeta$/, 'GET'), 1, 'the edit screen was read once, by the first run');
  fake.assertNoViolations();
});

/** An update of a story created without a description (its project's create screen has none). */
function leanUpdate(issueKey: string): IssueUpdate {
  const result: WrittenFields = { summary: after.summary, description: 'Email and text the customer once the refund is paid.', acceptanceCriteria: after.acceptanceCriteria, estimate: 3 };
  return {
    issueKey,
    level: 'story',
    changes: { summary: result.summary, description: result.description, acceptanceCriteria: result.acceptanceCriteria, estimate: result.estimate },
    result,
    source,
    baseline: { summary: before.summary, descriptionText: '', jiraUpdated: null },
    overwriteJira: false,
  };
}

test('an edit screen without Description: the summary is edited, the new description, criteria and estimate go into the comment; the edit screen is read once per project, issue type and status', async (t) => {
  const fake = await startFakeAtlassian();
  t.after(() => fake.close());
  const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken }, { retry: { maxAttempts: 1 } });
  const [a, b, c] = [1, 2, 3].map(() => fake.addIssue({ projectKey: 'LEAN', summary: before.summary, issueType: 'Story' }));
  c!.status = 'In Progress';
  const tri = fake.addIssue({ projectKey: 'TRI', summary: before.summary, issueType: 'Story' });
  const ledger = new MemoryStepLedger();
  const screens = editScreens(client);
  const outcomes = [];
  for (const i of [a!, b!, c!, tri]) outcomes.push(await applyIssueUpdate({ client, ledger, jobId: JOB, update: leanUpdate(i.key), change, screens }));

  const why = "Description is not on the issue's edit screen in Jira; its issue type has no estimate field Spec2Tickets can set";
  assert.deepEqual(outcomes[0], { status: 'updated', inComment: ['description', 'acceptanceCriteria', 'estimate'], note: `${a!.key}: description, acceptance criteria, estimate not written to the issue (${why}); the new text is in the re-sync comment on it.` });
  for (const i of [a!, b!, c!]) {
    assert.equal(i.fields.summary, after.summary, `${i.key}: summary edited`);
    assert.equal(i.fields.description, undefined, `${i.key}: no description sent`);
    assert.equal(i.comments.length, 1);
    assert.match(
      adfText(i.comments[0]!.body),
      new RegExp(`version 1 → 2.*Updated from the page: summary\\. Not written to the issue's fields \\(${why}\\): description, acceptance criteria, estimate\\. The page's new text: Description Email and text the customer once the refund is paid\\. Acceptance criteria An email and a text message are sent Estimate: 3 Spec2Tickets re-sync`),
    );
  }
  // What goes into the comment was recorded with the pending edit, before the request.
  assert.deepEqual(ledger.log.find((x) => x.key === a!.key && x.step === 'edit'), { key: a!.key, step: 'edit', state: 'pending', inComment: ['description', 'acceptanceCriteria', 'estimate'] });
  // Created without a description, but its edit screen has one: written as usual, nothing quoted in the comment.
  assert.deepEqual(outcomes[3], { status: 'updated', inComment: ['estimate'], note: `${tri.key}: estimate not written to the issue (its issue type has no estimate field Spec2Tickets can set); the new text is in the re-sync comment on it.` });
  assert.equal(adfText(tri.fields.description), adfText(describeFields(leanUpdate(tri.key).result, source)));
  assert.doesNotMatch(adfText(tri.comments[0]!.body), /Email and text the customer/);
  // LEAN stories in To Do share one read; the one in progress and the TRI story each need their own.
  assert.equal(fake.count(/\/editmeta$/, 'GET'), 3);
  fake.assertNoViolations();
});

test('an edit interrupted after Jira took it comments on resume what the first run recorded, even if the edit screen changed meanwhile', async (t) => {
  const fake = await startFakeAtlassian();
  t.after(() => fake.close());
  const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken }, { retry: { maxAttempts: 1 } });
  const issue = fake.addIssue({ projectKey: 'LEAN', summary: before.summary, issueType: 'Story' });
  const ledger = new MemoryStepLedger();
  const update = leanUpdate(issue.key);
  // Jira applies the edit; its answer is lost.
  fake.failNext(new RegExp(`/issue/${issue.key}$`), { status: 503, method: 'PUT', afterHandling: true });
  await assert.rejects(applyIssueUpdate({ client, ledger, jobId: JOB, update, change }));
  assert.equal(issue.fields.summary, after.summary);
  assert.equal(ledger.step(JOB, issue.key, 'edit')?.state, 'pending');
  // An admin adds Description to the edit screen before the run resumes.
  const story = fake.projects.get('LEAN')!.issueTypes.find((x) => x.name === 'Story')!;
  story.editFields = [...story.fields, { fieldId: 'description', name: 'Description', type: 'string' }];
  const r = await applyIssueUpdate({ client, ledger, jobId: JOB, update, change });
  assert.deepEqual(r.status === 'updated' && r.inComment, ['description', 'acceptanceCriteria', 'estimate']);
  assert.equal(fake.count(new RegExp(`/issue/${issue.key}$`), 'PUT'), 1, 'the edit is not sent again');
  assert.equal(issue.comments.length, 1);
  assert.match(adfText(issue.comments[0]!.body), /The page's new text: Description Email and text the customer once the refund is paid\./);
  assert.equal(ledger.step(JOB, issue.key, 'edit')?.state, 'done');
  await applyIssueUpdate({ client, ledger, jobId: JOB, update, change });
  assert.equal(issue.comments.length, 1, 'a third run writes no second comment');
  fake.assertNoViolations();
});
