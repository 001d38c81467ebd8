// The job page's audit log in a real browser against a real backend: closed until asked for (nothing
// read before), opened it shows the newest entries first, "Show older" reads the next page until the
// job's first entry, a failed read says why and can be tried again, and a reload of the job (a pushed
// event) puts the newest entries on top without losing the older ones shown.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startReviewApp, type ReviewApp } from './support/reviewApp.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';

const PRD = loadCorpusPage('prd-checkout').content;
/** Review notes added to the job's log, so it is longer than two pages of 50. */
const NOTES = 120;

describe('the audit log on the job page in Chromium', () => {
  let app: ReviewApp;
  let page: Page;
  let jobId: string;
  /** Every request the page made for the job's audit log, as `limit=…&before=…`. */
  const auditReads: string[] = [];
  /** Answers the job detail gave the page, parsed. */
  const detailAnswers: unknown[] = [];

  before(async () => {
    app = await startReviewApp();
    app.fake.addPage({ id: '1401', title: 'Checkout PRD with a long history', storage: PRD });
    page = app.browser.pages()[0] ?? (await app.browser.newPage());
    page.setDefaultTimeout(10_000);
    await page.goto(app.backend.adminUrl);
    await page.getByRole('heading', { name: 'Review queue' }).waitFor();

    jobId = await app.createJob('1401', 'dana@example.com');
    await app.waitForJob(jobId, (j) => j.state === 'awaiting_review');
    const deadline = Date.now() + 10_000;
    while (!(await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`)).duplicates.searchedAt) {
      if (Date.now() > deadline) throw new Error('the duplicate search did not finish');
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let n = 1; n <= NOTES; n++) await app.backend.store.audit({ jobId, actor: 'reviewer-ann', action: 'review.note', details: { note: n } });

    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === `/api/jobs/${jobId}/audit`) auditReads.push(url.searchParams.toString());
    });
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === `/api/jobs/${jobId}` && r.ok()) void r.json().then((j) => detailAnswers.push(j), () => {});
    });
  });
  after(() => app?.close());

  const section = () => page.locator('details.audit-section');
  /** The page's reads of the job's audit log (any page, or only "Show older" ones), for page.route. */
  const anyRead = (url: URL) => url.pathname === `/api/jobs/${jobId}/audit`;
  const olderRead = (url: URL) => anyRead(url) && url.searchParams.has('before');
  const rows = () => section().locator('table.audit tbody tr');
  const noteRow = (n: number) => rows().filter({ hasText: 'review.note' }).filter({ hasText: `{"note":${n}}` });

  test('closed until opened; opened it shows the newest entries, and "Show older" reads older ones down to the first', async () => {
    await page.goto(`${app.backend.adminBaseUrl}/#/jobs/${jobId}`);
    await page.getByRole('heading', { level: 1, name: 'Checkout PRD with a long history' }).waitFor();
    await section().waitFor();
    assert.equal(await section().getAttribute('open'), null, 'the audit log is closed until asked for');
    assert.deepEqual(auditReads, [], 'nothing read the audit log before it was opened');
    assert.ok(detailAnswers.length > 0 && detailAnswers.every((d) => !('audit' in (d as object))), 'the job detail carries no audit log');

    // The first read fails: the section says why and reads again on request.
    await page.route(anyRead, (route) =>
      route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ code: 'unavailable', message: 'The database is busy; try again in a moment' }) }),
    );
    await section().locator('summary').click();
    const failed = section().getByRole('alert').filter({ hasText: 'The audit log could not be loaded: The database is busy; try again in a moment' });
    await failed.waitFor();
    await page.unroute(anyRead);
    await failed.getByRole('button', { name: 'Try again' }).click();

    await noteRow(NOTES).waitFor();
    assert.equal(await rows().count(), 50, 'one page of 50');
    assert.match(await rows().first().innerText(), /review\.note[\s\S]*\{"note":120\}/, 'the newest entry first');
    assert.equal(await noteRow(NOTES - 50).count(), 0, 'the 51st newest is on the next page');
    assert.deepEqual(auditReads.slice(-1), ['limit=50']);

    const older = section().getByRole('button', { name: 'Show older' });
    await older.click();
    await noteRow(NOTES - 50).waitFor();
    assert.equal(await rows().count(), 100);
    assert.match(auditReads.at(-1)!, /^limit=50&before=\d+$/);
    assert.match(await rows().nth(50).innerText(), /\{"note":70\}/, 'the older page follows the first, newest first');

    // "Show older" that fails keeps the rows and says why; the next click reads the page.
    await page.route(olderRead, (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ code: 'internal', message: 'Internal error; see the backend log' }) }),
    );
    await older.click();
    await section().getByRole('alert').filter({ hasText: 'Older entries could not be loaded: Internal error; see the backend log' }).waitFor();
    assert.equal(await rows().count(), 100);
    await page.unroute(olderRead);
    await older.click();
    await noteRow(1).waitFor();
    // 120 notes and the job's own entries (created, fetching, generating, review, duplicate search) fit in three pages.
    await section().getByText(/\d+ entries, back to the job's first\./).waitFor();
    assert.equal(await older.count(), 0, 'nothing older to show');
    const all = await rows().count();
    assert.ok(all > NOTES && all <= 150, `every entry shown once (${all})`);
    assert.match(await rows().last().innerText(), /job\.created/, 'down to the job\'s first entry');
    const ids = await rows().evaluateAll((trs) => trs.map((tr) => tr.textContent));
    assert.equal(new Set(ids).size, ids.length, 'no entry shown twice');
  });

  test('a reload of the job (a pushed event) puts its newest entries on top and keeps the older ones shown', async () => {
    const shown = await rows().count();
    const res = await fetch(`${app.backend.adminBaseUrl}/api/jobs/${jobId}/reject`, {
      method: 'POST',
      headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'Rejected from another window' }),
    });
    assert.equal(res.status, 200, await res.text());
    await page.getByText('Rejected: Rejected from another window').waitFor();
    await rows().first().filter({ hasText: 'state.rejected' }).waitFor();
    assert.equal(await rows().count(), shown + 1, 'the new entry added, none lost');
    assert.match(await rows().last().innerText(), /job\.created/);
  });
});
