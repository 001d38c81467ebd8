// Re-sync in Chromium against the real backend: a page whose version 1 reached Jira is broken down
// again at version 2. The job page shows the approval counts, the page's changes with word diffs,
// FR-2's update as before/after per field, FR-3 to be marked and FR-1 flagged "changed in Jira".
// The reviewer edits FR-2's summary, leaves its estimate out, declines and re-accepts FR-3's mark,
// approves — and Jira gets exactly those decisions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { approveFromScreen, startReviewApp } from './support/reviewApp.ts';
import { FR1_EDITED_IN_JIRA, PAGE_ID, V1, V2, v1Keys } from '../e2e/support/resyncScenario.ts';
import type { ResyncResponse } from '../../core/server/resyncRoutes.ts';
import type { JobAuditResponse } from '../../core/server/admin.ts';

test('the job page shows a re-sync as diffs and per-issue decisions, and approval applies exactly what the reviewer chose', async (t) => {
  const app = await startReviewApp();
  t.after(() => app.close());
  const admin = (path: string, body: unknown) =>
    fetch(app.backend.adminBaseUrl + path, { method: 'POST', headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  // Waits on the admin listener (no rate limit), so a slow machine does not spend the API key's budget on polling.
  const waitFor = async (jobId: string, state: string, timeoutMs = 60_000) => {
    const end = Date.now() + timeoutMs;
    while ((await app.adminJson<{ job: { state: string } }>(`/api/jobs/${jobId}`)).job.state !== state) {
      assert.ok(Date.now() < end, `job ${jobId} did not reach ${state}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  app.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  const first = await app.createJob(PAGE_ID, 'dana@example.com');
  await waitFor(first, 'awaiting_review');
  await admin(`/api/jobs/${first}/approve`, { by: 'lead' });
  await waitFor(first, 'done');
  const keys = v1Keys(app.fake);
  const points = app.fake.issues.find((i) => i.key === keys.fr2)!.fields.customfield_10016;
  app.fake.editIssue(keys.fr1, { summary: FR1_EDITED_IN_JIRA });
  app.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
  const second = await app.createJob(PAGE_ID, 'dana@example.com');
  await waitFor(second, 'awaiting_review');
  const deadline = Date.now() + 60_000;
  while (!(await app.adminJson<ResyncResponse>(`/api/jobs/${second}/resync`)).builtAt) {
    assert.ok(Date.now() < deadline, 'the re-sync plan was not built');
    await new Promise((r) => setTimeout(r, 50));
  }

  const page = app.browser.pages()[0] ?? (await app.browser.newPage());
  page.setDefaultTimeout(10_000);
  await page.goto(app.backend.adminUrl);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.goto(`${app.backend.adminBaseUrl}/#/jobs/${second}`);
  const panel = page.getByRole('region', { name: 'Update the issues this page already made' });
  await panel.waitFor();
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
