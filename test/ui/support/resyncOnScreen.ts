// The re-sync scenario up to the screen: the Payments page's version 1 broken down and approved into
// Jira, then version 2 broken down again, its re-sync plan built, and the job page open in Chromium
// on the panel that updates the issues version 1 made.

import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import type { ReviewApp } from './reviewApp.ts';
import { PAGE_ID, V1, V2, v1Keys, type V1Keys } from '../../e2e/support/resyncScenario.ts';
import type { ResyncResponse } from '../../../core/server/resyncRoutes.ts';

export interface ResyncOnScreen {
  keys: V1Keys;
  /** The job of version 2, awaiting review with its re-sync plan built. */
  second: string;
  page: Page;
  /** The job page's "Update the issues this page already made" region. */
  panel: Locator;
  /** Waits on the admin listener (no rate limit) for a job's state. */
  waitFor: (jobId: string, state: string, timeoutMs?: number) => Promise<void>;
}

/** `beforeVersion2` runs once version 1's issues exist, before version 2 is broken down (e.g. to edit one in Jira). */
export async function resyncOnScreen(app: ReviewApp, beforeVersion2?: (keys: V1Keys) => void): Promise<ResyncOnScreen> {
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
  const approved = await fetch(`${app.backend.adminBaseUrl}/api/jobs/${first}/approve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ by: 'lead' }),
  });
  assert.ok(approved.ok, `approving version 1 answered ${approved.status}`);
  await waitFor(first, 'done');
  const keys = v1Keys(app.fake);
  beforeVersion2?.(keys);
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
  return { keys, second, page, panel, waitFor };
}
