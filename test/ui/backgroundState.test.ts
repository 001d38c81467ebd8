// Failures of work nobody waits on, as the admin sees them in Chromium: a failing retention sweep
// puts a banner above every screen until a later sweep works, and a job whose search of Jira for
// duplicates failed says so in its duplicates panel.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startReviewApp } from './support/reviewApp.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';

test('background failures in Chromium: the retention banner comes and goes; a failed duplicate search shows on the job', async (t) => {
  const app = await startReviewApp({ retentionSweepIntervalMs: 150 });
  t.after(() => app.close());
  const page = app.browser.pages()[0] ?? (await app.browser.newPage());
  page.setDefaultTimeout(10_000);
  await page.goto(app.backend.adminUrl);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  const banner = page.getByRole('alert', { name: 'Background task failing' });
  assert.equal(await banner.count(), 0, 'no banner while the sweep works');

  const store = app.backend.store as unknown as { expireWaitingBefore: (...a: unknown[]) => Promise<string[]> };
  const real = store.expireWaitingBefore.bind(store);
  store.expireWaitingBefore = async () => {
    throw new Error('database is locked');
  };
  await banner.waitFor();
  assert.match(await banner.innerText(), /Retention sweep failed: database is locked.*not being deleted until it works again/s);
  // It is above every screen, not only the queue.
  await page.getByRole('link', { name: 'Settings' }).click();
  await banner.waitFor();
  store.expireWaitingBefore = real;
  await banner.waitFor({ state: 'detached' });

  app.fake.addPage({ id: '1301', title: 'Onboarding', storage: loadCorpusPage('user-stories-onboarding').content });
  app.fake.failNext(/\/rest\/api\/3\/search\/jql/, { status: 400, times: 1000 });
  const jobId = await app.createJob('1301', 'dana@example.com');
  await app.waitForJob(jobId, (j) => j.state === 'awaiting_review');
  const deadline = Date.now() + 10_000;
  while (!(await app.adminJson<JobDetailResponse>(`/api/jobs/${jobId}`)).duplicates.lastFailure) {
    if (Date.now() > deadline) throw new Error('the failed search was not recorded');
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.goto(`${app.backend.adminBaseUrl}/#/jobs/${jobId}`);
  const failure = page.getByRole('alert').filter({ hasText: 'The last search of Jira for duplicates failed' });
  await failure.waitFor();
  assert.match(await failure.innerText(), /failed \(.*\): Atlassian refused the request .*\(400\)/s);
  // A failed search does not claim that nothing looks like a duplicate.
  assert.equal(await page.getByText('No existing issue looks like an item of this breakdown.').count(), 0);
  await page.getByText('Nothing could be compared yet.').waitFor();

  app.fake.clearFaults();
  await page.getByRole('button', { name: 'Search Jira again' }).click();
  await failure.waitFor({ state: 'detached' });
});
