/// <reference lib="dom" />
// The review workspace in a real browser against a real backend: the page beside the breakdown
// (highlighting both ways, citing and unciting, a story added from a block), a draft that survives a
// reload, the leave warnings, approval with gaps confirmed and recorded, a rejection reason reaching
// the public status, review by keyboard alone, and a 1,000-item breakdown.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Dialog, Page } from 'playwright-core';
import { startReviewApp, type ReviewApp } from './support/reviewApp.ts';
import { BIG_ITEMS, startBigJob } from './support/bigJob.ts';
import { parseBreakdown, flattenBreakdown, type Breakdown } from '../../core/breakdown/schema.ts';
import { diffBreakdowns } from '../../core/jobs/breakdownDiff.ts';
import type { JobAuditResponse, JobDetailResponse } from '../../core/server/admin.ts';
import type { GeneratedBreakdownResponse, JobPageResponse } from '../../core/server/reviewRoutes.ts';
import { REFUNDS } from '../e2e/support/refundsPage.ts';

describe('review workspace in Chromium', () => {
  let app: ReviewApp;
  let page: Page;
  let n = 0;

  before(async () => {
    app = await startReviewApp();
    page = app.browser.pages()[0] ?? (await app.browser.newPage());
    page.setDefaultTimeout(10_000);
    await page.goto(app.backend.adminUrl);
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  });
  after(() => app?.close());

  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(app.backend.adminBaseUrl + path, {
      method,
      headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${await res.text()}`);
  };

  /** A fresh refunds job in review; its blocks by requirement id and its breakdown. */
  const refundsJob = async () => {
    const pageId = String(3000 + ++n);
    const title = `Refund rules ${n}`;
    app.fake.addPage({ id: pageId, title, storage: REFUNDS });
    const jobId = await app.createJob(pageId, 'dana@example.com');
    await app.waitForJob(jobId, (j) => j.state === 'awaiting_review');
    const doc = (await app.adminJson<JobPageResponse>(`/api/jobs/${jobId}/page`)).page!;
    const block = (req: string) => doc.blocks.find((b) => b.requirementId === req)!.id;
    const breakdown = parseBreakdown((await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`)).breakdown.latest!.body);
    return { jobId, title, block, breakdown };
  };
  const open = async (jobId: string, title: string) => {
    await page.goto(`${app.backend.adminBaseUrl}/#/jobs/${jobId}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await page.locator('.page-view').waitFor();
  };
  const citing = (b: Breakdown, blockId: string, level = 'story') => flattenBreakdown(b).find((x) => x.level === level && x.item.sources.includes(blockId))!.item.id;
  const row = (id: string) => page.locator(`.tree [data-item-id="${id}"]`);
  const block = (id: string) => page.locator(`.page-view [data-block-id="${id}"]`);

  test('selecting an item highlights the blocks it cites; selecting a block lists the items citing it, and one click goes back to the item', async () => {
    const job = await refundsJob();
    await open(job.jobId, job.title);
    const b1 = job.block('FR-1');
    const b2 = job.block('FR-2');
    const s1 = citing(job.breakdown, b1);
    const s2 = citing(job.breakdown, b2);

    await row(s1).click();
    await block(b1).and(page.locator('.highlighted')).waitFor();
    assert.equal(await block(b2).and(page.locator('.highlighted')).count(), 0, 'a block the item does not cite stays plain');
    // The editor shows the cited text, not an opaque id.
    await page.getByRole('list', { name: 'Cited page blocks' }).getByText('FR-1: The shop must refund a cancelled order within 14 days.').waitFor();

    await block(b2).getByRole('button', { name: /^Block FR-2: cited by/ }).click();
    const actions = page.getByRole('group', { name: `Block ${b2}` });
    await actions.getByRole('button', { name: s2, exact: true }).click();
    await page.getByRole('heading', { name: new RegExp(`^Story ${s2.replace('.', '\\.')}$`) }).waitFor();
    assert.equal(await row(s2).getAttribute('aria-selected'), 'true');
    await block(b2).and(page.locator('.highlighted')).waitFor();
  });

  test('a block is uncited from the item editor and cited from the page view; an uncovered requirement gets a story of its own; Save stores the sources', async () => {
    const job = await refundsJob();
    await open(job.jobId, job.title);
    const b1 = job.block('FR-1');
    const b3 = job.block('FR-3');
    const s1 = citing(job.breakdown, b1);
    // Only the story cites FR-1 once its sub-tasks do not: make that so, then uncite it from the story.
    const others = flattenBreakdown(job.breakdown).filter((x) => x.item.id !== s1 && x.item.sources.includes(b1)).map((x) => x.item.id);

    await row(s1).click();
    await page.getByRole('button', { name: 'Uncite FR-1' }).click();
    await row(s1).and(page.locator('.unsaved')).waitFor();
    if (others.length === 0) {
      await block(b1).getByRole('button', { name: 'Block FR-1: requirement not covered by any item' }).waitFor();
      assert.equal(await block(b1).and(page.locator('.uncovered')).count(), 1, 'the uncited requirement is marked');
    }

    await block(b3).getByRole('button', { name: /^Block FR-3/ }).click();
    await page.getByRole('group', { name: `Block ${b3}` }).getByRole('button', { name: `Cite from ${s1}` }).click();
    await page.getByRole('list', { name: 'Cited page blocks' }).getByText(/FR-3: A refund must never exceed/).waitFor();
    await block(b3).and(page.locator('.highlighted')).waitFor();

    await block(b1).getByRole('button', { name: /^Block FR-1/ }).click();
    await page.getByRole('group', { name: `Block ${b1}` }).getByRole('button', { name: 'Add a story from this block' }).click();
    // The story goes under the selected item's epic, with the next free number there.
    const epic = job.breakdown.epics.find((e) => e.stories.some((x) => x.id === s1))!;
    let k = 1;
    while (epic.stories.some((x) => x.id === `S${epic.id.slice(1)}.${k}`)) k++;
    const addedId = `S${epic.id.slice(1)}.${k}`;
    await page.getByRole('heading', { name: `Story ${addedId}`, exact: true }).waitFor();
    await row(addedId).getByText('added by reviewer').waitFor();
    assert.match(await page.getByLabel('Title', { exact: true }).inputValue(), /^FR-1: The shop must refund a cancelled order within 14 days\.$/);

    await page.keyboard.press('Control+s');
    await page.getByText('Saved as version 2.').waitFor();
    const saved = parseBreakdown((await app.adminJson<JobDetailResponse>(`/api/jobs/${job.jobId}`)).breakdown.latest!.body);
    const items = new Map(flattenBreakdown(saved).map((x) => [x.item.id, x.item]));
    assert.ok(!items.get(s1)!.sources.includes(b1), 'uncited');
    assert.ok(items.get(s1)!.sources.includes(b3), 'cited');
    assert.deepEqual(items.get(addedId)!.sources, [b1]);
    assert.equal(items.get(addedId)!.origin, 'human');
  });

  test('an unsaved edit survives a reload (restored with a notice), and leaving asks first both in the app and in the browser', async () => {
    const job = await refundsJob();
    await open(job.jobId, job.title);
    const s1 = citing(job.breakdown, job.block('FR-1'));
    await row(s1).click();
    await page.getByLabel('Title', { exact: true }).fill('Refund within 14 days, typed before a reload');
    await row(s1).getByText('unsaved').waitFor();
    await page.waitForTimeout(600); // the draft is written shortly after the last keystroke

    const seen: string[] = [];
    const onDialog = (d: Dialog) => {
      seen.push(d.type());
      void d.accept();
    };
    page.on('dialog', onDialog);
    await page.reload();
    page.off('dialog', onDialog);
    assert.deepEqual(seen, ['beforeunload'], 'the browser asked before reloading');
    await page.getByRole('status').filter({ hasText: /Restored your unsaved edits from/ }).waitFor();
    await row(s1).getByText('unsaved').waitFor();
    await row(s1).click();
    assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'Refund within 14 days, typed before a reload');

    // In-app navigation: dismissing keeps the reviewer here, accepting leaves.
    const messages: string[] = [];
    page.once('dialog', (d) => {
      messages.push(d.message());
      void d.dismiss();
    });
    await page.getByRole('link', { name: '← Review queue' }).click();
    await page.waitForTimeout(200);
    assert.match(messages[0] ?? '', /unsaved edits/);
    await page.getByRole('heading', { level: 1, name: job.title }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('link', { name: '← Review queue' }).click();
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();

    // Still kept in the browser: opening the job again brings the edit back; discarding forgets it.
    await open(job.jobId, job.title);
    await page.getByRole('status').filter({ hasText: /Restored your unsaved edits/ }).waitFor();
    await page.getByRole('button', { name: 'Discard edits' }).click();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: job.title }).waitFor();
    await row(s1).waitFor();
    assert.equal(await page.getByText(/Restored your unsaved edits/).count(), 0, 'a discarded draft does not come back');
  });

  test('a session that expires mid-edit keeps the draft and says how to get back in; the printed address brings the edit back', async () => {
    const job = await refundsJob();
    await open(job.jobId, job.title);
    const s2 = citing(job.breakdown, job.block('FR-2'));
    await row(s2).click();
    await page.getByLabel('Title', { exact: true }).fill('Partial refunds by support, typed before the session ended');
    // The backend no longer knows this browser (as after a restart): the next request is refused.
    await page.context().clearCookies();
    await page.keyboard.press('Control+s');
    const screen = page.getByRole('alert').filter({ has: page.getByRole('heading', { name: 'Your session has expired' }) });
    await screen.waitFor();
    assert.match(await screen.innerText(), /kept in this browser/);
    assert.match(await screen.innerText(), /Open the admin URL printed by the backend/);

    await page.goto(app.backend.adminUrl);
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
    await open(job.jobId, job.title);
    await page.getByRole('status').filter({ hasText: /Restored your unsaved edits/ }).waitFor();
    await row(s2).click();
    assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'Partial refunds by support, typed before the session ended');
    await page.keyboard.press('Control+s');
    await page.getByText('Saved as version 2.').waitFor();
  });

  test('approving with an uncovered requirement lists it and needs "approve anyway"; the decision is in the audit log', async () => {
    const job = await refundsJob();
    const b3 = job.block('FR-3');
    const gap = structuredClone(job.breakdown);
    for (const x of flattenBreakdown(gap)) x.item.sources = x.item.sources.filter((s) => s !== b3);
    await admin('PUT', `/api/jobs/${job.jobId}/breakdown`, { breakdown: gap });
    await open(job.jobId, job.title);

    await page.getByRole('button', { name: 'Approve and create in Jira' }).click();
    const dialog = page.getByRole('dialog', { name: 'Approve and create in Jira' });
    const items = flattenBreakdown(gap).length;
    await dialog.getByText(new RegExp(`${items} issues to create\\s+in PAY`)).waitFor();
    await dialog.getByRole('list', { name: 'Requirements not covered' }).getByText('FR-3: A refund must never exceed the amount the customer paid for the order.').waitFor();
    const confirm = dialog.getByRole('button', { name: `Approve anyway and create ${items} issues` });
    assert.equal(await confirm.isDisabled(), true, 'gaps need an explicit confirmation');
    await dialog.getByLabel('I have read these gaps and approve anyway').check();
    await confirm.click();
    const done = await app.waitForJob(job.jobId, (j) => j.state === 'done' || j.state === 'failed', 20_000);
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    const audit = (await app.adminJson<JobAuditResponse>(`/api/jobs/${job.jobId}/audit?limit=500`)).entries;
    const entry = audit.find((a) => a.action === 'job.approved_with_gaps');
    assert.ok(entry, JSON.stringify(audit.map((a) => a.action)));
    assert.deepEqual(entry.details.uncovered, [b3]);
    assert.deepEqual(entry.details.uncoveredText, ['FR-3: A refund must never exceed the amount the customer paid for the order.']);
    assert.equal(entry.details.approvedAnyway, true, 'the page sent the confirmation the API asks for');
    assert.equal(entry.details.targetProject, 'PAY');
  });

  test('a rejection needs a reason, and the public job status carries it to the requester', async () => {
    const job = await refundsJob();
    await open(job.jobId, job.title);
    await page.getByRole('button', { name: 'Reject…' }).click();
    const submit = page.getByRole('button', { name: 'Reject job' });
    assert.equal(await submit.isDisabled(), true, 'no reason, no rejection');
    await page.getByLabel('Reason for rejecting (the requester sees it on the page)').fill('FR-2 needs finance sign-off before we plan it');
    await submit.click();
    await page.getByText('Rejected: FR-2 needs finance sign-off before we plan it').waitFor();
    const res = await fetch(`${app.backend.publicUrl}/v1/jobs/${job.jobId}`, { headers: { authorization: `Bearer ${app.apiKey}` } });
    const status = (await res.json()) as { state: string; rejectionReason?: string };
    assert.equal(status.state, 'rejected');
    assert.equal(status.rejectionReason, 'FR-2 needs finance sign-off before we plan it');
  });

  test('review by keyboard alone: arrows move through the tree, Enter opens the item, Delete asks and deletes', async () => {
    const job = await refundsJob();
    await open(job.jobId, job.title);
    const rows = flattenBreakdown(job.breakdown);
    const order = job.breakdown.epics.flatMap((e) => [e.id, ...e.stories.flatMap((s) => [s.id, ...s.subtasks.map((t) => t.id)])]);
    // Tab to the tree (no mouse), from the top of the page.
    await page.locator('body').focus();
    for (let i = 0; i < 60 && !(await page.getByRole('tree').evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
    assert.ok(await page.getByRole('tree').evaluate((el) => el === document.activeElement), 'the tree is reachable with Tab');

    await page.keyboard.press('Home');
    assert.equal(await row(order[0]!).getAttribute('aria-selected'), 'true');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    const target = order[2]!;
    assert.equal(await row(target).getAttribute('aria-selected'), 'true');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.hasAttribute('data-editor-title'), undefined, { timeout: 5_000 });
    await page.keyboard.press('End');
    await page.keyboard.type(' (checked)');
    await row(target).getByText(/\(checked\)$/).waitFor();

    await page.getByRole('tree').focus();
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await page.keyboard.press('Delete');
    await row(target).waitFor({ state: 'detached' });
    assert.match(asked, new RegExp(`^Delete ${target.replace(/\./g, '\\.')}`));
    assert.equal(await page.locator('.tree [data-item-id]').count(), rows.length - 1 - (target.startsWith('T') ? 0 : rows.filter((x) => x.parentId === target).length));
    await page.keyboard.press('Control+s');
    await page.getByText('Saved as version 2.').waitFor();
  });

  test('a 1,000-item breakdown renders only the rows in view, filters, searches and collapses, opens the last item from the keyboard, and reads the generated version only once the diff is opened', async () => {
    const jobId = await startBigJob(app);
    // The search of Jira for duplicates that follows generation changes the job (and a changed job is
    // read again, rightly); let it end first.
    const deadline = Date.now() + 30_000;
    while (!(await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`)).duplicates.searchedAt) {
      assert.ok(Date.now() < deadline, 'the duplicate search did not end');
      await new Promise((r) => setTimeout(r, 200));
    }
    // Opened by its address in a new tab: the job's detail is read once (at start, while the session
    // is checked), not again when the event stream's first message repeats the job as it is.
    const tab = await app.browser.newPage();
    const detailReads: string[] = [];
    tab.on('request', (r) => {
      if (new URL(r.url()).pathname === `/api/jobs/${jobId}`) detailReads.push(r.url());
    });
    await tab.goto(`${app.backend.adminBaseUrl}/#/jobs/${jobId}`);
    await tab.locator('.tree [data-item-id]').first().waitFor();
    await tab.locator('.live', { hasText: 'Live' }).waitFor();
    await tab.locator('.page-view').waitFor();
    await tab.waitForTimeout(300);
    await tab.close();
    assert.equal(detailReads.length, 1, detailReads.join('\n'));

    // The generated version is read only when the reviewer opens the changes, then once per version.
    const generatedReads: string[] = [];
    const jobReads: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path === `/api/jobs/${jobId}/generated`) generatedReads.push(r.url());
      if (path === `/api/jobs/${jobId}`) jobReads.push(r.url());
    });
    await page.goto(`${app.backend.adminBaseUrl}/#/jobs/${jobId}`);
    await page.getByRole('heading', { level: 1, name: 'Shop requirements (1,000 items)' }).waitFor();
    await page.getByText(`${BIG_ITEMS} items shown`).waitFor();
    const rendered = await page.locator('.tree [data-item-id]').count();
    assert.ok(rendered > 10 && rendered < 100, `only the rows in view are in the page (${rendered})`);

    await page.getByRole('tree').focus();
    await page.keyboard.press('End');
    await row('T25.13.2').waitFor();
    await page.getByRole('heading', { name: 'Sub-task T25.13.2' }).waitFor();

    // 25 stories "… case 7 within 2 seconds", their 50 sub-tasks "Implement/Test case 7", and the 25 epics above them.
    await page.getByLabel('Search items').fill('case 7');
    await page.getByText('100 items shown').waitFor();
    await page.getByLabel('Search items').fill('');
    await page.getByRole('button', { name: 'Collapse all' }).click();
    await page.getByText('25 items shown').waitFor();
    await page.getByLabel('Show').selectOption('story');
    await page.getByRole('button', { name: 'Expand all' }).click();
    await page.getByText(`${25 + 25 * 13} items shown`).waitFor();

    // The changes against the generated version: closed, the section counts them without having read
    // the generated version; opened, it reads it and shows the first 60 entries, the rest on request.
    const saved = (await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`)).breakdown;
    const counts = saved.diff!;
    const section = page.locator('details.diff-section');
    const heading = section.locator('summary');
    await heading.getByText(`(${counts.added} added · ${counts.removed} removed · ${counts.changed} changed · ${counts.unchanged} unchanged)`).waitFor();
    assert.equal(counts.marked.length, counts.added + counts.changed, 'the tree marks every added and changed item');
    assert.equal(await section.getAttribute('open'), null, 'the changes are closed until asked for');
    assert.equal(await page.locator('.diff').count(), 0);
    assert.deepEqual(generatedReads, [], 'nothing read the generated version before the diff was opened');
    await heading.click();
    const diff = page.locator('.diff');
    const entries = diff.locator(':scope > ul > li');
    await entries.first().waitFor();
    assert.equal(generatedReads.length, 1, 'opening the diff read the generated version');
    assert.equal(await entries.count(), 60, 'a long diff is cut until asked for');
    // The counts are said once, in the summary line: the opened list does not repeat them.
    const shown = await section.innerText();
    assert.equal([...shown.matchAll(/\d+ added · \d+ removed · \d+ changed/g)].length, 1, shown.slice(0, 400));
    const total = counts.added + counts.removed + counts.changed;
    assert.ok(total > 60, JSON.stringify(counts));
    await diff.getByRole('button', { name: `Show all ${total} changes (${total - 60} more)` }).click();
    await page.waitForFunction((n) => document.querySelectorAll('.diff > ul > li').length === n, total);
    // A changed title: "Generated" is the generated version's text, "Now" the saved one's.
    const generated = await app.adminJson<GeneratedBreakdownResponse>(`/api/jobs/${jobId}/generated`);
    const expected = diffBreakdowns(parseBreakdown(generated.generated.body), parseBreakdown(saved.latest!.body));
    assert.deepEqual([...expected.added, ...expected.changed].map((x) => x.itemId), counts.marked, 'the counts and marks are those of the full diff');
    const retitled = expected.changed.find((c) => c.fields.includes('title'));
    assert.ok(retitled, 'the big breakdown retitles generated items');
    const was = flattenBreakdown(parseBreakdown(generated.generated.body)).find((x) => x.item.id === retitled.itemId)!.item.title;
    const titleRow = page.getByRole('table', { name: `Changes to ${retitled.itemId}`, exact: true }).locator('tbody tr').filter({ has: page.getByRole('rowheader', { name: 'Title', exact: true }) });
    assert.equal(await titleRow.locator('.diff-before').innerText(), was);
    assert.notEqual(await titleRow.locator('.diff-after').innerText(), was);

    // Closed and opened again: the version read is kept, not read again.
    await heading.click();
    await page.locator('.diff').waitFor({ state: 'detached' });
    await heading.click();
    await entries.first().waitFor();
    assert.equal(generatedReads.length, 1, 'the generated version is kept per job and version');

    // A pushed event about the job (rejected from elsewhere, here the API) reloads the detail; the
    // open diff stays and the generated version, unchanged, is not read again.
    const readsBefore = jobReads.length;
    await admin('POST', `/api/jobs/${jobId}/reject`, { reason: 'Rejected from another window' });
    const until = Date.now() + 10_000;
    while (jobReads.length === readsBefore) {
      assert.ok(Date.now() < until, 'the pushed event did not reload the job');
      await page.waitForTimeout(100);
    }
    await page.getByText('Rejected: Rejected from another window').waitFor();
    assert.equal(await section.getAttribute('open'), '', 'the diff stays open across a reload of the job');
    assert.ok((await entries.count()) > 0);
    assert.equal(generatedReads.length, 1, 'a reload of the job does not read the generated version again');
  });
});

describe('API keys in Chromium', () => {
  let app: ReviewApp;
  let page: Page;
  before(async () => {
    app = await startReviewApp();
    page = app.browser.pages()[0] ?? (await app.browser.newPage());
    page.setDefaultTimeout(10_000);
    await page.goto(app.backend.adminUrl);
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  });
  after(() => app?.close());

  const status = async (key: string) => {
    // An accepted key reaches the route (404: no such job); a refused one stops at 401.
    const res = await fetch(`${app.backend.publicUrl}/v1/jobs/00000000-0000-4000-8000-000000000000`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: (await res.json()) as { message?: string } };
  };

  test('the queue shows the setup checklist while a step is missing, with a link to where it is done', async () => {
    const keys = await app.adminJson<{ keys: { id: string }[] }>('/api/keys');
    for (const k of keys.keys) {
      const res = await fetch(`${app.backend.adminBaseUrl}/api/keys/${k.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' } });
      assert.equal(res.status, 200);
    }
    await page.goto(`${app.backend.adminBaseUrl}/#/`);
    await page.reload();
    await page.getByRole('heading', { name: /^Set up Spec2Tickets \(\d steps? left\)$/ }).waitFor();
    const text = await page.locator('.checklist').innerText();
    assert.match(text, /Atlassian site and API token/, text);
    const item = page.locator('.checklist li').filter({ hasText: 'API key for the Forge app' });
    await item.getByLabel('to do').waitFor();
    await page.locator('.checklist li').filter({ hasText: 'Jira project' }).getByLabel('done').waitFor();
    await item.getByRole('link', { name: 'API key for the Forge app' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
  });

  test('rotating asks first and keeps the old key working for the chosen grace period; a truncated key is called incomplete', async () => {
    await page.goto(`${app.backend.adminBaseUrl}/#/keys`);
    await page.getByLabel('Name of the new key').fill('forge-rotation');
    await page.getByRole('button', { name: 'Create key' }).click();
    const oldKey = await page.getByLabel('New API key').inputValue();
    await page.getByRole('button', { name: 'Done' }).click();

    const row = page.getByRole('row', { name: /forge-rotation/ });
    await row.getByRole('button', { name: 'Rotate…' }).click();
    const confirm = page.getByRole('form', { name: 'Rotate forge-rotation' });
    assert.equal(await confirm.getByLabel('Old key keeps working for (hours)').inputValue(), '24', 'a day by default');
    await confirm.getByLabel('Old key keeps working for (hours)').fill('-3');
    await confirm.getByText('Old key keeps working for (hours) must be a number from 0 (stop at once) to 720 (30 days).').waitFor();
    await confirm.getByLabel('Old key keeps working for (hours)').fill('2');
    await confirm.getByRole('button', { name: 'Rotate key' }).click();
    const newKey = await page.getByLabel('New API key').inputValue();
    assert.notEqual(newKey, oldKey);
    await page.getByRole('row', { name: /forge-rotation/ }).filter({ hasText: /rotated: works until/ }).waitFor();

    assert.equal((await status(oldKey)).status, 404, 'the old key works during its grace period');
    assert.equal((await status(newKey)).status, 404);
    const cut = await status(newKey.slice(0, 30));
    assert.equal(cut.status, 401);
    assert.match(cut.body.message ?? '', /incomplete/);
    const audit = await app.adminJson<{ audit: { action: string; details: Record<string, unknown> }[] }>('/api/audit');
    assert.equal(audit.audit.find((a) => a.action === 'apikey.rotated')?.details.graceHours, 2);
  });
});
