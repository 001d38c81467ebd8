// Re-sync in Chromium into a project whose edit screens lack Description (LEAN): before approval the
// update of FR-2 says which of its fields will go into the re-sync comment and why, the sentence
// follows the reviewer's choice of fields, and after approval the card says what went there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { approveFromScreen, startReviewApp } from './support/reviewApp.ts';
import { resyncOnScreen } from './support/resyncOnScreen.ts';
import type { ResyncResponse } from '../../core/server/resyncRoutes.ts';

test('an update into a project whose edit screen lacks Description says, before approval, that Description will go into a comment', async (t) => {
  const app = await startReviewApp({ env: { SPEC2TICKETS_JIRA_PROJECT: 'LEAN' } });
  t.after(() => app.close());
  const { keys, second, page, panel, waitFor } = await resyncOnScreen(app);
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
  const { keys, second, page, panel, waitFor } = await resyncOnScreen(app);
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
