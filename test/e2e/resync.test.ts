// Re-sync of a changed page against the fake Atlassian: version 1 (FR-1..FR-4) reaches Jira; version 2
// rewords FR-2, removes FR-3, adds FR-5 and moves FR-4, and FR-1's issue is edited in Jira meanwhile.
// The reviewer sees the block lineage, a before/after update for FR-2, a mark for FR-3, FR-1 flagged
// "changed in Jira" and FR-4 unchanged; approval updates FR-2 (one edit, one comment), marks FR-3,
// creates FR-5 under the existing epic and leaves FR-1 and FR-4 alone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/inProcess.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';
import type { ResyncResponse } from '../../core/server/resyncRoutes.ts';
import type { JobStatusResponse } from '../../core/server/publicApi.ts';
import { UPDATES_EXISTING } from '../../core/jobs/resync.ts';
import { adfText } from '../../core/jira/updateIssues.ts';
import { assertResyncEndState, breakDown, FR1_EDITED_IN_JIRA, PAGE_ID, resyncWhenBuilt, V1, V2, v1Keys, waitForState } from './support/resyncScenario.ts';

test('a changed page updates the issue of a reworded requirement, marks the removed one, adds the new one under the existing epic and leaves issues changed in Jira alone', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });

  const first = await breakDown(h, 'first');
  for (const end = Date.now() + 60_000; Date.now() < end && !(await h.backend.store.auditLog(first)).some((a) => a.action.startsWith('duplicates.')); ) await new Promise((res) => setTimeout(res, 50));
  assert.equal(((await (await h.admin(`/api/jobs/${first}/resync`)).json()) as ResyncResponse).plan, null, 'a first breakdown has nothing to re-sync');
  await h.admin(`/api/jobs/${first}/approve`, { json: { by: 'lead' } });
  assert.equal((await waitForState(h, first, (s) => s === 'done' || s === 'failed')).state, 'done');
  const keys = v1Keys(h.fake);
  const before = h.fake.issues.length;

  // Someone edits FR-1's issue in Jira; then the page changes.
  h.fake.editIssue(keys.fr1, { summary: FR1_EDITED_IN_JIRA });
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
  const second = await breakDown(h, 'second');
  const r = await resyncWhenBuilt(h, second);
  const plan = r.plan!;
  assert.equal(plan.toVersion, 2);
  assert.deepEqual(plan.fromVersions, [1]);
  assert.deepEqual(plan.lineage.counts, { unchanged: 1, changed: 1, moved: 1, new: 1, removed: 1 });
  assert.equal(plan.jiraCheck, 'ok');

  // FR-2: an update with before/after per field and a word diff.
  assert.deepEqual(plan.updates.map((u) => u.issueKey), [keys.fr2]);
  const fr2 = plan.updates[0]!;
  // The drafter sizes the longer requirement bigger, so its estimate changes too.
  assert.deepEqual(fr2.changes.map((c) => c.field), ['summary', 'description', 'acceptanceCriteria', 'estimate']);
  const estimate = fr2.changes[3]!;
  assert.ok(typeof estimate.after === 'number' && estimate.after !== estimate.before && estimate.diff === undefined);
  const summary = fr2.changes[0]!;
  assert.equal(summary.before, 'FR-2: The customer must receive an email when the refund is issued');
  assert.equal(summary.after, 'FR-2: The customer must receive an email and a text message when the refund is paid');
  assert.deepEqual(summary.diff!.filter((p) => p.op !== 'same').map((p) => `${p.op}:${p.text}`), ['added:and a text message', 'removed:issued', 'added:paid']);
  assert.equal(fr2.changedInJira, null);
  assert.equal(fr2.blocks[0]!.status, 'changed');
  // FR-3: a mark quoting the removed text.
  assert.deepEqual(plan.marks.map((m) => [m.issueKey, m.removedText]), [[keys.fr3, ['FR-3: The support agent must be able to refund part of an order.']]]);
  // FR-1 changed in Jira, FR-4 moved: both unchanged on the page.
  const unchanged = new Map(plan.unchanged.map((u) => [u.issueKey, u]));
  assert.deepEqual([...unchanged.keys()].sort(), [keys.fr1, keys.fr4].sort());
  assert.deepEqual(unchanged.get(keys.fr1)!.changedInJira?.fields, ['summary']);
  assert.equal(unchanged.get(keys.fr4)!.moved, true);
  assert.equal(unchanged.get(keys.fr4)!.changedInJira, null);
  assert.deepEqual(r.counts, { create: 1, update: 1, mark: 1, unchanged: 2, held: 0, declined: 0 });

  // The new FR-2 item is the existing issue's new text: not created again. Only FR-3 is reported gone.
  const detail = (await (await h.admin(`/api/jobs/${second}`)).json()) as JobDetailResponse;
  const items = flattenBreakdown(parseBreakdown(detail.breakdown.latest!.body));
  const fr2Item = items.find((x) => x.item.id === fr2.itemId)!;
  assert.match(fr2Item.item.title, /text message/);
  const skip = detail.duplicates.decisions.find((d) => d.itemId === fr2.itemId)!;
  assert.deepEqual([skip.decision, skip.issueKey, skip.decidedBy], ['skip', keys.fr2, UPDATES_EXISTING]);
  assert.deepEqual(detail.duplicates.noLongerOnPage.map((x) => x.key), [keys.fr3]);

  // Per-issue decisions: only proposals can be decided; a mark takes no field choices.
  assert.equal((await h.admin(`/api/jobs/${second}/resync/${keys.fr1}`, { method: 'PUT', json: { decision: 'accept' } })).status, 404);
  assert.equal((await h.admin(`/api/jobs/${second}/resync/${keys.fr3}`, { method: 'PUT', json: { decision: 'accept', fields: ['summary'] } })).status, 400);
  const declined = (await (await h.admin(`/api/jobs/${second}/resync/${keys.fr2}`, { method: 'PUT', json: { decision: 'decline', by: 'lead' } })).json()) as ResyncResponse;
  assert.deepEqual([declined.counts.update, declined.counts.declined], [0, 1]);
  const accepted = (await (await h.admin(`/api/jobs/${second}/resync/${keys.fr2}`, { method: 'PUT', json: { decision: 'accept', by: 'lead' } })).json()) as ResyncResponse;
  assert.deepEqual(accepted.actions[keys.fr2], {
    action: 'update',
    fields: ['summary', 'description', 'acceptanceCriteria', 'estimate'],
    values: { summary: summary.after, description: fr2.changes[1]!.after, acceptanceCriteria: fr2.changes[2]!.after, estimate: estimate.after },
    overwriteJira: false,
    inComment: [], // PAY's edit screens offer every field
  });

  // An edit of the item in the breakdown is what goes to Jira.
  const edited = structuredClone(detail.breakdown.latest!.body) as { epics: { stories: { id: string; acceptanceCriteria: string[] }[] }[] };
  const story = edited.epics.flatMap((e) => e.stories).find((x) => x.id === fr2.itemId)!;
  story.acceptanceCriteria = [...story.acceptanceCriteria, 'The text message names the refunded amount.'];
  assert.equal((await h.admin(`/api/jobs/${second}/breakdown`, { method: 'PUT', json: { breakdown: edited, author: 'lead' } })).status, 200);
  const afterEdit = (await (await h.admin(`/api/jobs/${second}/resync`)).json()) as ResyncResponse;
  assert.deepEqual(afterEdit.plan!.updates[0]!.changes.find((c) => c.field === 'acceptanceCriteria')!.after, story.acceptanceCriteria);

  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  const done = await waitForState(h, second, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  assert.deepEqual([done.progress.updated, done.progress.marked], [1, 1]);
  assert.match(adfText(h.fake.issues.find((i) => i.key === keys.fr2)!.fields.description), /The text message names the refunded amount\./);
  assertResyncEndState(h.fake, keys, before);
  assert.equal(h.fake.issues.find((i) => i.key === keys.fr2)!.fields.customfield_10016, estimate.after, 'story points follow the estimate');

  // The Forge macro's view: the page's last breakdown, and whether the page changed since.
  const status = (await (await h.pub(`/v1/jobs/${first}`)).json()) as JobStatusResponse;
  assert.equal(status.page?.lastBreakdown?.jobId, second);
  assert.equal(status.page?.lastBreakdown?.version, 2);
  assert.equal(status.page?.changedSince, false);
  const told = (await (await h.pub(`/v1/jobs/${second}?pageVersion=3`)).json()) as JobStatusResponse;
  assert.equal(told.page?.changedSince, true, 'the macro names the version it shows');
});

test('an update of an issue changed in Jira is held until the reviewer chooses to overwrite it; a removed requirement runs the transition the admin chose', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  const first = await breakDown(h, 'first');
  await h.admin(`/api/jobs/${first}/approve`, { json: { by: 'lead' } });
  await waitForState(h, first, (s) => s === 'done');
  const keys = v1Keys(h.fake);
  h.fake.editIssue(keys.fr2, { summary: 'Refund email (wording agreed with legal)' });
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });

  const second = await breakDown(h, 'second');
  const r = await resyncWhenBuilt(h, second);
  const fr2 = r.plan!.updates.find((u) => u.issueKey === keys.fr2)!;
  assert.deepEqual(fr2.changedInJira?.fields, ['summary']);
  assert.equal(r.actions[keys.fr2]!.action, 'hold');
  assert.equal(r.counts.held, 1);
  assert.equal(r.counts.update, 0);

  // Accepting alone does not overwrite; the explicit choice does, with only the accepted field.
  const accepted = (await (await h.admin(`/api/jobs/${second}/resync/${keys.fr2}`, { method: 'PUT', json: { decision: 'accept' } })).json()) as ResyncResponse;
  assert.equal(accepted.actions[keys.fr2]!.action, 'hold');
  const chosen = (await (await h.admin(`/api/jobs/${second}/resync/${keys.fr2}`, { method: 'PUT', json: { decision: 'accept', fields: ['acceptanceCriteria'], overwriteJira: true, by: 'lead' } })).json()) as ResyncResponse;
  assert.equal(chosen.actions[keys.fr2]!.action, 'update');
  assert.equal((await h.admin('/api/resync/settings', { method: 'PUT', json: { removedTransition: 'Nonsense '.repeat(20) } })).status, 400);
  const setting = await h.admin('/api/resync/settings', { method: 'PUT', json: { removedTransition: "Won't Do", by: 'admin' } });
  assert.deepEqual(await setting.json(), { removedTransition: "Won't Do" });
  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  const done = await waitForState(h, second, (s) => s === 'done' || s === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  const issue = h.fake.issues.find((i) => i.key === keys.fr2)!;
  assert.equal(issue.fields.summary, 'Refund email (wording agreed with legal)', 'the summary the team wrote stays: only acceptance criteria were accepted');
  assert.equal(issue.comments.length, 1);
  const removed = h.fake.issues.find((i) => i.key === keys.fr3)!;
  assert.equal(removed.status, "Won't Do");
  assert.ok(removed.labels.includes('spec-removed'));
  assert.equal(h.fake.count(new RegExp(`/issue/${keys.fr3}/transitions$`), 'POST'), 1);
  h.fake.assertNoViolations();
});
