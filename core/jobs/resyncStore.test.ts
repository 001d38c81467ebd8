import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteJobStore } from '../store/sqliteStore.ts';
import { resyncStoreOf } from './resyncStore.ts';

test('re-sync steps: pending never overwrites done, the newest edit is the baseline, retention removes what quotes the page', async () => {
  let now = new Date('2026-05-01T00:00:00Z');
  const store = new SqliteJobStore({ dataDir: ':memory:', now: () => now });
  const resync = resyncStoreOf(store)!;
  assert.equal(resyncStoreOf(store), resync, 'one re-sync store per database');
  const { job } = await store.createOrFindOpenJob({ pageId: '1', siteUrl: 'https://a.example', pageVersion: null, requestedBy: 'a' }, 't');
  const written = { summary: 'FR-2: Refund email and text', description: 'The page says so.', acceptanceCriteria: ['An email is sent'], estimate: 2 };
  resync.savePlan(job.id, { updates: [{ issueKey: 'PAY-3', title: written.summary }] });
  resync.setDecision({ jobId: job.id, issueKey: 'PAY-3', kind: 'update', decision: 'accept', edits: { summary: written.summary }, decidedBy: 'lead' });
  resync.stepPending(job.id, 'PAY-3', 'edit');
  assert.equal(resync.step(job.id, 'PAY-3', 'edit')?.state, 'pending');
  resync.stepDone(job.id, 'PAY-3', 'edit', { written, jiraUpdated: '2026-05-01T00:00:01.000+0000' });
  resync.stepPending(job.id, 'PAY-3', 'edit');
  assert.equal(resync.step(job.id, 'PAY-3', 'edit')?.state, 'done', 'a step Jira confirmed stays done');
  assert.deepEqual(resync.lastEdit('PAY-3')?.written, written);
  resync.stepDone(job.id, 'PAY-4', 'label');
  assert.deepEqual([...resync.markedIssues()], ['PAY-4']);
  assert.equal(resync.step(job.id, 'PAY-4', 'label')?.unlabelled, undefined);
  // Done without the label (Labels not on the edit screen): recorded so, and marked all the same.
  resync.stepDone(job.id, 'PAY-5', 'label', { unlabelled: true });
  assert.deepEqual([resync.step(job.id, 'PAY-5', 'label')?.unlabelled, resync.step(job.id, 'PAY-5', 'label')?.written], [true, null]);
  assert.deepEqual([...resync.markedIssues()].sort(), ['PAY-4', 'PAY-5']);

  await store.transition(job.id, 'fetching', { actor: 's' });
  await store.transition(job.id, 'failed', { actor: 's', error: { code: 'x', message: 'y' } });
  now = new Date('2026-06-01T00:00:00Z');
  assert.deepEqual(await store.purgeFinishedBefore('2026-05-15T00:00:00Z', now.toISOString()), [job.id]);
  assert.equal(resync.plan(job.id)?.body, null);
  assert.equal(resync.decisions(job.id)[0]?.edits, undefined);
  assert.equal(resync.step(job.id, 'PAY-3', 'edit')?.written, null);
  assert.equal(resync.step(job.id, 'PAY-3', 'edit')?.state, 'done', 'what happened in Jira stays recorded');
  store.close();
});

test('an edit records what it will write before the request: the fields in Jira after it and those put into the comment, kept beside the written fields', async () => {
  const store = new SqliteJobStore({ dataDir: ':memory:' });
  const resync = resyncStoreOf(store)!;
  const { job } = await store.createOrFindOpenJob({ pageId: '1', siteUrl: 'https://a.example', pageVersion: null, requestedBy: 'a' }, 't');
  const written = { summary: 'FR-2: Refund email and text', description: 'The page says so.', acceptanceCriteria: ['An email is sent'], estimate: 2 };
  const edit = { written, inJira: { summary: written.summary, descriptionText: '' }, inComment: ['description' as const, 'acceptanceCriteria' as const] };
  resync.stepPending(job.id, 'LEAN-3', 'edit', edit);
  const pending = resync.step(job.id, 'LEAN-3', 'edit')!;
  assert.deepEqual([pending.state, pending.written, pending.inJira, pending.inComment], ['pending', written, edit.inJira, edit.inComment]);
  resync.stepDone(job.id, 'LEAN-3', 'edit', { written: edit, jiraUpdated: '2026-05-01T00:00:01.000+0000' });
  assert.deepEqual(resync.steps(job.id).map((x) => [x.state, x.written, x.inJira, x.inComment]), [['done', written, edit.inJira, edit.inComment]]);
  // A record from before edit screens were read has neither.
  resync.stepDone(job.id, 'PAY-3', 'edit', { written });
  assert.deepEqual([resync.step(job.id, 'PAY-3', 'edit')!.inJira, resync.step(job.id, 'PAY-3', 'edit')!.inComment], [null, []]);
  store.close();
});
