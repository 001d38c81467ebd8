import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeAtlassian } from '../../test/fakes/atlassian/server.ts';
import { createJiraClient } from './client.ts';
import { adfText, applyIssueUpdate, changedInJira, describeFields, markIssueRemoved, readIssueState, readIssueStates, type IssueUpdate, type ResyncStepLedger } from './updateIssues.ts';
import type { ResyncStepName, WrittenFields } from '../jobs/resyncStore.ts';

class MemoryStepLedger implements ResyncStepLedger {
  readonly steps = new Map<string, 'pending' | 'done'>();
  step(jobId: string, key: string, step: ResyncStepName) {
    const s = this.steps.get(`${jobId}/${key}/${step}`);
    return s ? { state: s } : undefined;
  }
  stepPending(jobId: string, key: string, step: ResyncStepName) {
    if (this.steps.get(`${jobId}/${key}/${step}`) !== 'done') this.steps.set(`${jobId}/${key}/${step}`, 'pending');
  }
  stepDone(jobId: string, key: string, step: ResyncStepName) {
    this.steps.set(`${jobId}/${key}/${step}`, 'done');
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
  assert.deepEqual(await applyIssueUpdate({ client, ledger, jobId: JOB, update, change }), { status: 'updated' });
  assert.equal(fake.count(new RegExp(`/issue/${issue.key}$`), 'PUT'), 0, 'not edited again');
  assert.equal(issue.comments.length, 1);
  assert.deepEqual(await applyIssueUpdate({ client, ledger, jobId: JOB, update, change }), { status: 'updated' });
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

test('a removed requirement: labelled once (not again when already labelled), commented once, moved by the chosen transition; an unknown transition warns', async (t) => {
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
  fake.assertNoViolations();
});
