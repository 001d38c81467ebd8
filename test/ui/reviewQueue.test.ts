// The review queue in a real browser against a real backend: a job requested through the public
// API shows up live, is edited, saved, approved and created in (fake) Jira; a refused edit shows the
// API's field error without losing anything; a lost session says how to get back in.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { approveFromScreen, startReviewApp, type ReviewApp } from './support/reviewApp.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import type { JobAuditResponse, JobDetailResponse } from '../../core/server/admin.ts';
import type { GeneratedBreakdownResponse } from '../../core/server/reviewRoutes.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';

const PRD = loadCorpusPage('prd-checkout').content;
const SCREENSHOT = join(tmpdir(), 'spec2tickets-ui-job-detail.png');
const SCREENSHOT_DONE = join(tmpdir(), 'spec2tickets-ui-job-created.png');
const SCREENSHOT_QUEUE = join(tmpdir(), 'spec2tickets-ui-queue.png');

describe('review queue in Chromium', () => {
  let app: ReviewApp;
  let page: Page;

  before(async () => {
    app = await startReviewApp();
    app.fake.addPage({ id: '1001', title: 'Checkout revamp PRD', storage: PRD });
    app.fake.addPage({ id: '1002', title: 'Checkout PRD, second draft', storage: PRD });
    app.fake.addPage({ id: '1003', title: 'Checkout PRD, third draft', storage: PRD });
    page = app.browser.pages()[0] ?? (await app.browser.newPage());
    page.setDefaultTimeout(10_000);
  });
  after(() => app?.close());

  const openJob = async (title: string) => {
    await page.goto(`${app.backend.adminBaseUrl}/#/`);
    await page.getByRole('link', { name: title }).click();
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
  };
  const titleInput = () => page.getByLabel('Title', { exact: true });
  /** Opens the changes against the generated version (closed until asked for: only then is the generated version read). */
  const openDiff = async () => {
    const section = page.locator('details.diff-section');
    await section.waitFor();
    if ((await section.getAttribute('open')) === null) await section.locator('summary').click();
  };

  test('the printed admin URL opens the queue, drops the token from the address bar, and a new job appears live', async () => {
    await page.goto(app.backend.adminUrl);
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    assert.ok(!page.url().includes('token='), `the token stays out of the address bar: ${page.url()}`);
    await page.getByText('Live', { exact: true }).waitFor();
    await page.getByRole('status', { name: /Model status: No model: drafter/ }).waitFor();

    // No reload from here on: the row must arrive through /api/events.
    const jobId = await app.createJob('1001', 'alice@example.com');
    await app.waitForJob(jobId, (j) => j.state === 'awaiting_review');
    // The row may show an earlier state for a moment: wait for the event that says it awaits review.
    // Its state comes from the event itself and its counts from the list read just after (the counts
    // show "—" in between), so wait for both.
    const row = page.getByRole('row', { name: /Checkout revamp PRD/ }).filter({ hasText: 'Awaiting review' }).filter({ hasText: /\d+ epics? ·/ });
    await row.waitFor();
    assert.match(await row.innerText(), /Awaiting review[\s\S]*alice@example\.com[\s\S]*2 epics · 6 stories/);
    await page.screenshot({ path: SCREENSHOT_QUEUE });
  });

  test('a reviewer edits a story title, saves a new version, approves, and sees the created Jira keys', async () => {
    await openJob('Checkout revamp PRD');
    await page.getByText(/6 of 6\s+requirements covered/).waitFor();
    assert.ok((await page.locator('.tree .flag-drafter').count()) >= 8, 'drafted items are flagged in the tree');

    await page.locator('[data-item-id="S1.1"]').click();
    await titleInput().fill('Saved cards come first at checkout');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2.').waitFor();
    await page.getByLabel('Breakdown version').filter({ hasText: /Version 2 \(edited by admin/ }).waitFor();
    await openDiff();
    const change = page.locator('.diff-changed', { hasText: 'S1.1' }).filter({ hasText: 'title' });
    await change.waitFor();
    // The "Generated" column comes from the generated version, read when the diff was opened.
    const generated = await app.adminJson<GeneratedBreakdownResponse>(`/api/jobs/${await jobIdOf('1001')}/generated`);
    const generatedTitle = flattenBreakdown(parseBreakdown(generated.generated.body)).find((x) => x.item.id === 'S1.1')!.item.title;
    assert.equal(await change.locator('.diff-before').first().innerText(), generatedTitle);
    assert.equal(await change.locator('.diff-after').first().innerText(), 'Saved cards come first at checkout');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 10_000, 'a screenshot of the job detail was written');

    const before = await app.adminJson<JobDetailResponse>(`/api/jobs/${await jobIdOf('1001')}`);
    assert.equal(before.breakdown.latest?.versionNo, 2);
    const items = flattenBreakdown(parseBreakdown(before.breakdown.latest!.body));

    const summary = await approveFromScreen(page);
    assert.match(summary, new RegExp(`${items.length} issues to create\\s+in PAY`), summary);
    const keys = page.getByRole('list', { name: 'Created Jira issues' }).getByRole('link');
    await page.getByRole('heading', { level: 1, name: 'Checkout revamp PRD' }).waitFor();
    await page.locator('.state-done').first().waitFor({ timeout: 20_000 });
    await keys.nth(items.length - 1).waitFor();
    const shown = await keys.allInnerTexts();
    assert.equal(shown.length, items.length);
    for (const k of shown) assert.match(k, /^PAY-\d+$/);
    const inJira = app.fake.issues.filter((i) => shown.includes(i.key));
    assert.equal(inJira.length, items.length, 'every key on screen exists in Jira');
    assert.ok(inJira.some((i) => i.fields.summary === 'Saved cards come first at checkout'), 'the edited title is what Jira got');
    assert.match((await keys.first().getAttribute('href')) ?? '', /\/browse\/PAY-\d+$/);
    await page.screenshot({ path: SCREENSHOT_DONE });
  });

  test('an empty title is refused with the API field error, and nothing typed is lost', async () => {
    const jobId = await app.createJob('1002', 'bob@example.com');
    await app.waitForJob(jobId, (j) => j.state === 'awaiting_review');
    await openJob('Checkout PRD, second draft');

    await page.locator('[data-item-id="S1.1"]').click();
    await page.getByLabel('Description').fill('Keep this sentence: the reviewer wrote it.');
    await page.locator('[data-item-id="S1.2"]').click();
    await titleInput().fill('');
    await page.getByRole('button', { name: 'Save', exact: true }).click();

    const banner = page.getByRole('alert').filter({ hasText: 'The breakdown was not saved' });
    await banner.waitFor();
    assert.match(await banner.innerText(), /epics\.0\.stories\.1\.title: title is empty/);
    assert.match(await banner.getByRole('list', { name: 'Fields with problems' }).innerText(), /breakdown\.epics\.0\.stories\.1\.title/);
    assert.equal(await titleInput().getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('[data-item-id="S1.2"].invalid').count(), 1, 'the refused item is marked in the tree');

    await page.locator('[data-item-id="S1.1"]').click();
    assert.equal(await page.getByLabel('Description').inputValue(), 'Keep this sentence: the reviewer wrote it.');
    await page.locator('[data-item-id="S1.2"]').click();
    assert.equal(await titleInput().inputValue(), '', 'the empty title is still there to fix');
    const detail = await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`);
    assert.equal(detail.breakdown.latest?.versionNo, 1, 'nothing was saved');
    await page.getByRole('button', { name: 'Discard edits' }).click();
    await page.getByRole('status').filter({ hasText: 'Edits discarded.' }).waitFor();
  });

  test('a story added, one moved to another epic and one deleted are saved as one version the checks accept; then the job is rejected with a reason', async () => {
    const jobId = await app.createJob('1003', 'carol@example.com');
    await app.waitForJob(jobId, (j) => j.state === 'awaiting_review');
    await openJob('Checkout PRD, third draft');

    await page.locator('[data-item-id="E1"]').click();
    await page.getByRole('button', { name: 'Add story' }).click();
    await page.getByRole('heading', { name: 'Story S1.5' }).waitFor();
    await titleInput().fill('Audit trail for card changes');
    await page.locator('[data-item-id="S1.4"]').click();
    await page.getByLabel('Move under').selectOption('E2');
    await page.getByRole('heading', { name: 'Story S2.3' }).waitFor();
    await page.locator('[data-item-id="S2.1"]').click();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete S2.1' }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved as version 2.').waitFor();
    // The generated version cannot be read at first (as while the backend restarts): the section says
    // why and reads it again when asked.
    const generatedRoute = `**/api/jobs/${jobId}/generated`;
    await page.route(generatedRoute, (r) => r.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ code: 'unavailable', message: 'The backend is starting, try again in a moment' }) }));
    await openDiff();
    const failure = page.getByRole('alert').filter({ hasText: 'The generated version could not be loaded' });
    await failure.waitFor();
    assert.match(await failure.innerText(), /The backend is starting, try again in a moment/);
    await page.unroute(generatedRoute);
    await failure.getByRole('button', { name: 'Try again' }).click();
    await page.locator('.diff-added', { hasText: 'S1.5' }).waitFor();
    assert.equal(await failure.count(), 0);

    const detail = await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`);
    const saved = flattenBreakdown(parseBreakdown(detail.breakdown.latest!.body));
    const byId = new Map(saved.map((x) => [x.item.id, x]));
    assert.equal(byId.get('S1.5')?.item.title, 'Audit trail for card changes');
    assert.equal(byId.get('S1.5')?.item.origin, 'human');
    assert.equal(byId.get('S2.3')?.parentId, 'E2');
    assert.match(byId.get('S2.3')?.item.title ?? '', /^REQ-4/);
    assert.ok(!byId.has('S1.4') && !byId.has('S2.1'));
    const findings = (detail.report as { findings: { severity: string; code: string }[] }).findings;
    assert.deepEqual(findings.filter((f) => f.severity === 'error'), [], 'no structural errors after the edits');

    await page.getByRole('button', { name: 'Reject…' }).click();
    await page.getByLabel('Reason for rejecting (the requester sees it on the page)').fill('Needs product sign-off first');
    await page.getByRole('button', { name: 'Reject job' }).click();
    await page.getByRole('status').filter({ hasText: 'Job rejected.' }).waitFor();
    await page.locator('.job-head .state-rejected').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Approve and create in Jira' }).count(), 0, 'a rejected job cannot be approved from the screen');
    const audit = (await app.adminJson<JobAuditResponse>(`/api/jobs/${jobId}/audit?limit=500`)).entries;
    assert.ok(audit.some((a) => JSON.stringify(a.details).includes('Needs product sign-off first')), 'the reason is in the audit');
  });

  test('API keys: a new key is shown once, works on the public API, and stops working when revoked', async () => {
    await page.goto(`${app.backend.adminBaseUrl}/#/keys`);
    await page.getByLabel('Name of the new key').fill('forge-staging');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('New API key').inputValue();
    assert.match(key, /^s2t_/);
    const health = (k: string) => fetch(`${app.backend.publicUrl}/v1/health`, { headers: { authorization: `Bearer ${k}` } });
    assert.equal((await health(key)).status, 200);
    const row = page.getByRole('row', { name: /forge-staging/ });
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText(/^revoked/).waitFor();
    assert.equal((await health(key)).status, 401);
  });

  test('settings show the API token only as "set" and save a changed retention and issue type', async () => {
    await page.goto(`${app.backend.adminBaseUrl}/#/settings`);
    await page.getByLabel('Atlassian API token').waitFor();
    assert.equal(await page.getByLabel('Atlassian API token').inputValue(), '', 'the token is never sent to the page');
    assert.match(await page.getByLabel('Atlassian API token').getAttribute('placeholder') ?? '', /^set/);
    assert.equal(await page.getByLabel('Jira project key').isDisabled(), true, 'a value pinned by the environment cannot be edited');
    await page.getByLabel('Retention (days)').fill('0');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // The refusal names the field as the page shows it, under the field and in the banner.
    await page.locator('.field').filter({ has: page.getByLabel('Retention (days)') }).getByRole('alert').filter({ hasText: /^Retention \(days\) must be at least 1$/ }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Settings were not saved' }).filter({ hasText: 'Retention (days) must be at least 1' }).waitFor();
    assert.equal(await page.getByRole('alert').filter({ hasText: 'retentionDays' }).count(), 0, 'the internal key is not what the admin reads');
    await page.getByLabel('Retention (days)').fill('14');
    await page.getByLabel('Issue type for sub-tasks').fill('Task');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    await page.getByRole('button', { name: 'Test connection' }).click();
    const checks = page.getByRole('list', { name: 'Connection test' });
    await checks.getByText(/^Confluence: connected/).waitFor();
    await checks.getByText(/^Jira: connected/).waitFor();
    const view = await app.adminJson<{ values: { retentionDays: number; issueTypeSubtask: string | null; issueTypeStory: string | null } }>('/api/settings');
    assert.equal(view.values.retentionDays, 14);
    assert.equal(view.values.issueTypeSubtask, 'Task');
    assert.equal(view.values.issueTypeStory, null, 'an untouched mapping stays unset (picked from the project)');
    await page.getByLabel('Issue type for sub-tasks').fill('');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Settings saved.').waitFor();
    assert.equal((await app.adminJson<{ values: { issueTypeSubtask: string | null } }>('/api/settings')).values.issueTypeSubtask, null, 'emptied: back to the project default');
  });

  test('a wrong session token shows "session expired" and points to the URL printed by the backend', async () => {
    await page.goto(`${app.backend.adminBaseUrl}/#/`);
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    // The backend restarted with a new token, as far as this window knows: its cookie is now wrong.
    const { hostname, port } = new URL(app.backend.adminBaseUrl);
    await app.browser.clearCookies();
    await app.browser.addCookies([{ name: `s2t_session_${port}`, value: 'not-the-token', domain: hostname, path: '/' }]);
    // Any request now meets the wrong session (the queue may notice first; either way the screen shows).
    await page.evaluate("window.location.hash = '#/settings'");
    const screen = page.getByRole('alert').filter({ has: page.getByRole('heading', { name: 'Your session has expired' }) });
    await screen.waitFor();
    assert.match(await screen.innerText(), /Open the admin URL printed by the backend/);

    // Typing the address with a wrong token: the page loads and says what to open.
    await page.goto(`${app.backend.adminBaseUrl}/?token=wrong`);
    await screen.waitFor();
    assert.match(await screen.innerText(), /Open the admin URL printed by the backend/);

    // The right token sets the session again and leaves the address bar without it.
    await page.goto(`${app.backend.adminBaseUrl}/?token=${encodeURIComponent(app.backend.sessionToken)}`);
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    assert.equal(new URL(page.url()).searchParams.has('token'), false);
  });

  const jobIdOf = async (pageId: string) => {
    const { jobs } = await app.adminJson<{ jobs: { jobId: string; pageId: string }[] }>(`/api/jobs?pageId=${pageId}`);
    return jobs[0]!.jobId;
  };
});
