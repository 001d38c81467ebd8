// The job page's project and duplicate controls in a real browser against a real backend: changing
// the Jira project before approval (header, audit, stale duplicate decisions cleared) and choosing
// "Create and link" for a likely duplicate, which ends in a Relates link in (fake) Jira; and a page
// broken down again, whose unchanged items are shown as already in Jira and skipped, the new story
// going under the epic Jira already has.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { approveFromScreen, startReviewApp, type ReviewApp } from './support/reviewApp.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';

const PRD = loadCorpusPage('prd-checkout').content;

describe('job page controls in Chromium', () => {
  let app: ReviewApp;
  let page: Page;

  before(async () => {
    app = await startReviewApp();
    app.fake.addPage({ id: '1101', title: 'Checkout PRD for the team board', storage: PRD });
    app.fake.addPage({ id: '1102', title: 'Checkout PRD with a wallet ticket', storage: PRD });
    page = app.browser.pages()[0] ?? (await app.browser.newPage());
    page.setDefaultTimeout(10_000);
    // The printed admin URL carries the session token once; the cookie it sets serves the rest.
    await page.goto(app.backend.adminUrl);
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  });
  after(() => app?.close());

  /** A job for `pageId` in review, with its duplicate search finished, open on its page. */
  const openJobInReview = async (pageId: string, title: string): Promise<string> => {
    const jobId = await app.createJob(pageId, 'dana@example.com');
    await app.waitForJob(jobId, (j) => j.state === 'awaiting_review');
    const deadline = Date.now() + 10_000;
    while (!(await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`)).duplicates.searchedAt) {
      if (Date.now() > deadline) throw new Error('the duplicate search did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
    await page.goto(`${app.backend.adminBaseUrl}/#/jobs/${jobId}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    return jobId;
  };
  const candidateOf = (itemId: string) => page.locator('.dup-list > li').filter({ has: page.getByRole('button', { name: itemId, exact: true }) });

  test('"Change project…" to TEAM shows TEAM in the header, lists the change in the audit and says which duplicate decisions it cleared', async () => {
    const wallet = app.fake.addIssue({ projectKey: 'PAY', summary: 'Customers pay with Apple Pay and Google Pay' });
    const jobId = await openJobInReview('1101', 'Checkout PRD for the team board');
    assert.equal(await page.getByTestId('target-project').innerText(), 'PAY');
    await candidateOf('S1.2').getByRole('button', { name: `Create and link to ${wallet.key}` }).click();
    await candidateOf('S1.2').getByText(`create, relates to ${wallet.key}`).waitFor();

    await page.getByRole('button', { name: 'Change project…' }).click();
    await page.getByLabel('Project key').fill('team');
    await page.getByRole('button', { name: 'Use this project' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'Issues will be created in TEAM.' });
    await notice.waitFor();
    assert.match(await notice.innerText(), /1 duplicate decision about PAY issues was cleared/);
    await page.getByTestId('target-project').filter({ hasText: /^TEAM$/ }).waitFor();
    await candidateOf('S1.2').getByText('no decision: it will be created').or(page.getByText('No existing issue looks like an item of this breakdown.')).first().waitFor();

    await page.locator('details.panel summary').filter({ hasText: 'Audit' }).click();
    const row = page.locator('table.audit tr').filter({ hasText: 'job.project_changed' });
    await row.waitFor();
    assert.match(await row.innerText(), /"from":null,"to":"TEAM"/);
    await page.locator('table.audit tr').filter({ hasText: 'duplicates.cleared' }).filter({ hasText: '"reason":"project_changed"' }).waitFor();
    const detail = await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`);
    assert.deepEqual(detail.targetProject, { key: 'TEAM', source: 'job' });
    assert.deepEqual(detail.duplicates.decisions, []);
  });

  test('"Create and link to KEY" for a likely duplicate, then approval: the created issue relates to KEY in Jira', async () => {
    const wallet = app.fake.addIssue({ projectKey: 'PAY', summary: 'Apple Pay and Google Pay for customers' });
    const jobId = await openJobInReview('1102', 'Checkout PRD with a wallet ticket');
    const candidate = candidateOf('S1.2');
    await candidate.getByRole('link', { name: wallet.key }).waitFor();
    await candidate.getByRole('button', { name: `Create and link to ${wallet.key}` }).click();
    await candidate.getByText(`create, relates to ${wallet.key}`).waitFor();

    await approveFromScreen(page);
    const done = await app.waitForJob(jobId, (j) => j.state === 'done' || j.state === 'failed', 20_000);
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    const created = done.issues.find((i) => i.itemId === 'S1.2')?.key;
    assert.ok(created, 'the item was created, not skipped');
    await page.getByRole('list', { name: 'Created Jira issues' }).getByRole('link', { name: created }).waitFor();
    const links = app.fake.links.filter((l) => l.type === 'Relates' && [l.inwardKey, l.outwardKey].includes(wallet.key));
    assert.equal(links.length, 1, JSON.stringify(app.fake.links));
    assert.deepEqual([links[0]!.inwardKey, links[0]!.outwardKey].sort(), [created, wallet.key].sort());
    app.fake.assertNoViolations();
  });

  test('a page broken down again shows what its first breakdown created as unchanged and skipped; approval puts only the new story in Jira, under the existing epic', async () => {
    const v1 = '<h1>Refunds</h1><p>FR-1: The shop must refund a cancelled order within 14 days.</p>';
    app.fake.addPage({ id: '1103', title: 'Refund rules', storage: v1, version: 1 });
    const first = await app.createJob('1103', 'dana@example.com');
    await app.waitForJob(first, (j) => j.state === 'awaiting_review');
    const approved = await fetch(`${app.backend.adminBaseUrl}/api/jobs/${first}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'dana' }),
    });
    assert.equal(approved.status, 200, await approved.text());
    const done = await app.waitForJob(first, (j) => j.state === 'done' || j.state === 'failed', 20_000);
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    const oldEpic = done.issues.find((i) => i.itemId === 'E1')!.key;
    const oldStory = done.issues.find((i) => i.itemId === 'S1.1')!.key;

    app.fake.addPage({ id: '1103', title: 'Refund rules', storage: `${v1}<p>FR-2: The support agent must be able to refund part of an order.</p>`, version: 2 });
    const second = await openJobInReview('1103', 'Refund rules');
    const story = candidateOf('S1.1');
    await story.getByRole('link', { name: oldStory }).waitFor();
    assert.match(await story.innerText(), new RegExp(`Created from this page by job ${first.slice(0, 8)} \\(page version 1`));
    // Unchanged on the page: already decided, and the reviewer is told why.
    await story.getByText(`skip: already ${oldStory}`).waitFor();
    await story.getByText(`unchanged on the page since ${oldStory} was created`).waitFor();
    const epic = candidateOf('E1');
    await epic.getByText(`skip: already ${oldEpic}`).waitFor();
    // The tree says which items Jira already has.
    await page.locator('[data-item-id="S1.1"]').getByText(`already ${oldStory}`).waitFor();
    await page.locator('[data-item-id="E1"]').getByText(`already ${oldEpic}`).waitFor();
    assert.equal(await page.locator('[data-item-id="S1.2"]').getByText(/already/).count(), 0, 'the new story is not marked');

    await approveFromScreen(page);
    const again = await app.waitForJob(second, (j) => j.state === 'done' || j.state === 'failed', 20_000);
    assert.equal(again.state, 'done', JSON.stringify(again.error));
    assert.deepEqual(again.issues.map((i) => i.itemId), ['S1.2'], 'only the new requirement was created');
    const created = app.fake.issues.find((i) => i.key === again.issues[0]!.key)!;
    assert.equal((created.fields.parent as { key?: string } | undefined)?.key, oldEpic);
    app.fake.assertNoViolations();
  });
});
