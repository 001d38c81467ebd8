// Re-sync in Chromium into a project whose edit screens lack Description (LEAN): before approval the
// update of FR-2 says which of its fields will go into the re-sync comment and why, the sentence
// follows the reviewer's choice of fields, and after approval the card says what went there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { approveFromScreen, startReviewApp } from './support/reviewApp.ts';
import { PAGE_ID, V1, V2, v1Keys } from '../e2e/support/resyncScenario.ts';
import type { ResyncResponse } from '../../core/server/resyncRoutes.ts';

test('an update into a project whose edit screen lacks Description says, before approval, that Description will go into a comment', async (t) => {
  const app = await startReviewApp({ env: { SPEC2TICKETS_JIRA_PROJECT: 'LEAN' } });
  t.after(() => app.close());
  const admin = (path: string, body: unknown) =>
    fetch(app.backend.adminBaseUrl + path, { method: 'POST', headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
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
  const fr2 = panel.getByRole('listitem', { name: `Update ${keys.fr2}` });
  const note = fr2.getByRole('note').filter({ hasText: 'Goes into a comment.' });
  assert.equal((await fr2.locator('.resync-status').innerText()).trim(), 'Will update summary and put description, acceptance criteria and estimate in a comment');
  assert.equal(
    (await note.innerText()).trim(),
    "Goes into a comment. Description, acceptance criteria and estimate will go into a comment: Description is not on the issue's edit screen in Jira; its issue type has no estimate field Spec2Tickets can set (add Description to the issue's edit screen in Jira to have it written).",
  );

  // Without the estimate, the sentence names only what the reviewer accepted.
  await fr2.getByLabel(`Apply Estimate to ${keys.fr2}`).uncheck();
  await fr2.getByRole('button', { name: 'Accept update' }).click();
  await note.filter({ hasText: 'Description and acceptance criteria will go into a comment' }).waitFor();
  assert.equal(
    (await note.innerText()).trim(),
    "Goes into a comment. Description and acceptance criteria will go into a comment: Description is not on the issue's edit screen in Jira (add Description to the issue's edit screen in Jira to have it written).",
  );

  // Approved: the card says what went into the comment, and Jira's comment carries exactly that.
  await approveFromScreen(page);
  await waitFor(second, 'done');
  await page.reload();
  await fr2.locator('.resync-status').filter({ hasText: 'Updated in Jira' }).waitFor();
  assert.equal((await fr2.getByRole('note').filter({ hasText: 'In the comment.' }).innerText()).trim(), 'In the comment. Description and acceptance criteria went into the re-sync comment on the issue, not into its fields.');
  const view = await app.adminJson<ResyncResponse>(`/api/jobs/${second}/resync`);
  assert.deepEqual(view.steps.find((s) => s.issueKey === keys.fr2 && s.step === 'edit')?.inComment, ['description', 'acceptanceCriteria']);
  app.fake.assertNoViolations();
});

test('a removed requirement in a project whose edit screen lacks Labels says, before approval, that it will be commented without the spec-removed label', async (t) => {
  const app = await startReviewApp({ env: { SPEC2TICKETS_JIRA_PROJECT: 'TAG' } });
  t.after(() => app.close());
  const admin = (path: string, body: unknown) =>
    fetch(app.backend.adminBaseUrl + path, { method: 'POST', headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
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
  const fr3 = panel.getByRole('listitem', { name: `Mark ${keys.fr3}` });
  await fr3.waitFor();
  assert.equal((await fr3.locator('.resync-status').innerText()).trim(), 'Will comment without the spec-removed label');
  assert.equal(
    (await fr3.getByRole('note').filter({ hasText: 'Not labelled.' }).innerText()).trim(),
    "Not labelled. Labels is not on this issue's edit screen in Jira, so it will be commented without the spec-removed label (add Labels to the edit screen to have it labelled).",
  );

  // Approved: the card says it was commented, not labelled.
  await approveFromScreen(page);
  await waitFor(second, 'done');
  await page.reload();
  await fr3.locator('.resync-status').filter({ hasText: 'Marked in Jira' }).waitFor();
  assert.equal((await fr3.locator('.resync-status').innerText()).trim(), 'Marked in Jira (commented, not labelled)');
  assert.equal((await fr3.getByRole('note').filter({ hasText: 'Not labelled.' }).innerText()).trim(), 'Not labelled. It was commented without the spec-removed label: Labels is not on its edit screen in Jira.');
  assert.ok(!app.fake.issues.find((i) => i.key === keys.fr3)!.labels.includes('spec-removed'));
  app.fake.assertNoViolations();
});
