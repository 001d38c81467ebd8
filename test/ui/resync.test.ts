// Re-sync in Chromium against the real backend: a page whose version 1 reached Jira is broken down
// again at version 2. The job page shows the approval counts, the page's changes with word diffs,
// FR-2's update as before/after per field, FR-3 to be marked and FR-1 flagged "changed in Jira".
// The reviewer edits FR-2's summary, leaves its estimate out, declines and re-accepts FR-3's mark,
// approves — and Jira gets exactly those decisions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { approveFromScreen, startReviewApp } from './support/reviewApp.ts';
import { FR1_EDITED_IN_JIRA } from '../e2e/support/resyncScenario.ts';
import { resyncOnScreen } from './support/resyncOnScreen.ts';
import type { ResyncResponse } from '../../core/server/resyncRoutes.ts';
import type { JobAuditResponse } from '../../core/server/admin.ts';

test('the job page shows a re-sync as diffs and per-issue decisions, and approval applies exactly what the reviewer chose', async (t) => {
  const app = await startReviewApp();
  t.after(() => app.close());
  let points: unknown;
  const { keys, second, page, panel, waitFor } = await resyncOnScreen(app, (k) => {
    points = app.fake.issues.find((i) => i.key === k.fr2)!.fields.customfield_10016;
    app.fake.editIssue(k.fr1, { summary: FR1_EDITED_IN_JIRA });
  });
  const summary = panel.getByRole('status', { name: 'Re-sync summary' });
  assert.equal((await summary.innerText()).trim(), '1 to create · 1 to update · 1 to mark · 2 unchanged');

  // The page's changes, word by word.
  await panel.getByText(/What changed on the page/).click();
  const changed = panel.getByRole('list', { name: 'Page changes' }).locator('li[data-status="changed"]');
  assert.equal(await changed.locator('ins').first().innerText(), 'and a text message');
  assert.equal(await panel.locator('li[data-status="moved"]').count(), 1);
  assert.match(await panel.locator('li[data-status="removed"]').innerText(), /refund part of an order/);

  // FR-2: before/after per field.
  const fr2 = panel.getByRole('listitem', { name: `Update ${keys.fr2}` });
  assert.match(await fr2.locator('tr[data-field="description"] .diff-before').innerText(), /when the refund is issued/);
  assert.equal(await fr2.locator('tr[data-field="description"] .diff-after del').first().innerText(), 'issued.');
  assert.match(await fr2.locator('tr[data-field="acceptanceCriteria"] .diff-after').innerText(), /text message/);
  // FR-1 was edited in Jira: flagged in the unchanged list.
  const unchanged = panel.getByRole('list', { name: 'Unchanged issues' });
  assert.match(await unchanged.locator(`li[data-issue="${keys.fr1}"]`).innerText(), /Changed in Jira/);
  assert.doesNotMatch(await unchanged.locator(`li[data-issue="${keys.fr4}"]`).innerText(), /Changed in Jira/);
  assert.match(await unchanged.locator(`li[data-issue="${keys.fr4}"]`).innerText(), /moved on the page/);

  // The reviewer's own summary, without the estimate.
  await fr2.getByLabel(`New summary of ${keys.fr2}`).fill('FR-2: Email and text message when the refund is paid');
  await fr2.getByLabel(`Apply Estimate to ${keys.fr2}`).uncheck();
  await fr2.getByRole('button', { name: 'Accept update' }).click();
  await fr2.locator('.resync-status').filter({ hasText: 'Will update summary, description and acceptance criteria' }).waitFor();

  // FR-3: declined, then marked after all.
  const fr3 = panel.getByRole('listitem', { name: `Mark ${keys.fr3}` });
  await fr3.getByRole('button', { name: 'Leave it' }).click();
  await summary.filter({ hasText: '0 to mark' }).waitFor();
  assert.match(await summary.innerText(), /1 declined/);
  await fr3.getByRole('button', { name: 'Mark as removed' }).click();
  await summary.filter({ hasText: '1 to mark' }).waitFor();
  // The admin's transition for removed issues, saved for every job.
  await panel.getByLabel('Transition for issues no longer on the page').fill("Won't Do");
  await panel.getByRole('button', { name: 'Save for all jobs' }).click();
  await fr3.locator('.resync-status').filter({ hasText: "then move to Won't Do" }).waitFor();

  const decisions = (await app.adminJson<ResyncResponse>(`/api/jobs/${second}/resync`)).decisions;
  const fr2Decision = decisions.find((d) => d.issueKey === keys.fr2)!;
  assert.deepEqual(fr2Decision.fields, ['summary', 'description', 'acceptanceCriteria']);
  assert.deepEqual(fr2Decision.edits, { summary: 'FR-2: Email and text message when the refund is paid' });

  // The approve dialog says what approval does to the issues the page already made, as the panel counts it.
  const dialogText = await approveFromScreen(page);
  assert.match(dialogText, /Issues this page already made: 1 to update · 1 to mark as no longer on the page · 1 new · 2 unchanged/);
  await waitFor(second, 'done');
  const approval = (await app.adminJson<JobAuditResponse>(`/api/jobs/${second}/audit?limit=500`)).entries.find((a) => a.action === 'job.approval_summary' || a.action === 'job.approved_with_gaps');
  assert.deepEqual(approval?.details.resync, { create: 1, update: 1, mark: 1, unchanged: 2, held: 0, declined: 0 }, 'the re-sync counts seen are in the audit log');
  // Afterwards the panel says what was done in Jira.
  await page.reload();
  await panel.getByRole('listitem', { name: `Update ${keys.fr2}` }).locator('.resync-status').filter({ hasText: 'Updated in Jira' }).waitFor();
  await panel.getByRole('listitem', { name: `Mark ${keys.fr3}` }).locator('.resync-status').filter({ hasText: 'Marked in Jira' }).waitFor();
  assert.equal(await panel.getByRole('button', { name: 'Accept update' }).count(), 0, 'nothing to decide once approved');
  const issue = app.fake.issues.find((i) => i.key === keys.fr2)!;
  assert.equal(issue.fields.summary, 'FR-2: Email and text message when the refund is paid');
  assert.equal(issue.fields.customfield_10016, points, 'the estimate was left out');
  const fr3Issue = app.fake.issues.find((i) => i.key === keys.fr3)!;
  assert.ok(fr3Issue.labels.includes('spec-removed'));
  assert.equal(fr3Issue.status, "Won't Do");
  assert.equal(app.fake.issues.find((i) => i.key === keys.fr1)!.fields.summary, FR1_EDITED_IN_JIRA);
  app.fake.assertNoViolations();
});
