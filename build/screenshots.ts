/// <reference lib="dom" />
// Writes the screenshots in docs/screenshots/ from the real product: the renderer built by Vite, the
// backend with a fake Atlassian site and the drafter, Chromium through playwright-core. Jobs are made
// the way the Forge app makes them, so the pictures show what a reviewer sees.
//
//   npm run screenshots

import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startReviewApp } from '../test/ui/support/reviewApp.ts';
import { loadCorpusPage } from '../test/corpus/index.ts';
import { SwitchableEngine } from '../core/model/switchableEngine.ts';
import { flattenBreakdown, parseBreakdown } from '../core/breakdown/schema.ts';
import type { JobDetailResponse } from '../core/server/admin.ts';
import type { JobPageResponse } from '../core/server/reviewRoutes.ts';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
mkdirSync(OUT, { recursive: true });

// The switchable engine (no model loaded: the drafter writes the breakdowns) gives the Models page its hardware and catalogue.
const engine = new SwitchableEngine({ gpu: false, llama: { load: { contextSize: 1024, threads: 1 } } });
const app = await startReviewApp({ engine });
try {
  const prd = loadCorpusPage('prd-checkout').content;
  app.fake.addPage({ id: '7001', title: 'Checkout revamp PRD', storage: prd });
  app.fake.addPage({ id: '7002', title: 'Refund rules', storage: '<h1>Refunds</h1><p>FR-1: The shop must refund a cancelled order within 14 days.</p><p>FR-2: The support agent must be able to refund part of an order.</p>' });
  app.fake.addPage({ id: '7003', title: 'Loyalty points', storage: '<h1>Points</h1><p>REQ-1: Customers must earn one point per euro spent.</p>' });
  const main = await app.createJob('7001', 'dana@example.com');
  const second = await app.createJob('7002', 'sam@example.com');
  const third = await app.createJob('7003', 'lee@example.com');
  for (const id of [main, second, third]) await app.waitForJob(id, (j) => j.state === 'awaiting_review', 30_000);
  // One finished job in the queue, rejected with a reason.
  await fetch(`${app.backend.adminBaseUrl}/api/jobs/${third}/reject`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'Points rules are not final yet' }),
  });

  const page = app.browser.pages()[0] ?? (await app.browser.newPage());
  page.setDefaultTimeout(20_000);
  const shot = async (name: string, fullPage = false) => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}${name}.png`, fullPage });
    console.log(`wrote docs/screenshots/${name}.png`);
  };

  await page.goto(app.backend.adminUrl);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  await page.getByLabel('Show').selectOption('all');
  await page.getByRole('link', { name: 'Checkout revamp PRD' }).waitFor();
  await shot('queue');

  await page.goto(`${app.backend.adminBaseUrl}/#/jobs/${main}`);
  await page.locator('.page-view').waitFor();
  await page.locator('.tree [data-item-id="S1.2"]').click();
  await page.getByLabel('Title', { exact: true }).fill('Customers pay with Apple Pay or Google Pay');
  await page.locator('.page-view .highlighted').first().waitFor();
  // Tall enough for the job's header, the save bar and the workspace in one picture.
  await page.setViewportSize({ width: 1400, height: 1250 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('review-workspace');
  await page.setViewportSize({ width: 1400, height: 1000 });
  await page.getByRole('button', { name: 'Discard edits' }).click();

  // The approval of a breakdown with a gap: the refunds job with FR-2 cited by no item.
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${app.backend.adminBaseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${app.backend.sessionToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<unknown>;
  };
  const refundPage = ((await admin('GET', `/api/jobs/${second}/page`)) as JobPageResponse).page!;
  const fr2 = refundPage.blocks.find((b) => b.requirementId === 'FR-2')!.id;
  const gap = parseBreakdown(((await admin('GET', `/api/jobs/${second}`)) as JobDetailResponse).breakdown.latest!.body);
  for (const x of flattenBreakdown(gap)) x.item.sources = x.item.sources.filter((id) => id !== fr2);
  await admin('PUT', `/api/jobs/${second}/breakdown`, { breakdown: gap, author: 'dana@example.com' });
  await page.goto(`${app.backend.adminBaseUrl}/#/jobs/${second}`);
  await page.locator('.page-view').waitFor();
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.getByRole('button', { name: 'Approve and create in Jira' }).click();
  await page.getByRole('dialog', { name: 'Approve and create in Jira' }).getByRole('list', { name: 'Requirements not covered' }).waitFor();
  await shot('approve-summary');

  await page.goto(`${app.backend.adminBaseUrl}/#/settings`);
  await page.getByLabel('Retention (days)').waitFor();
  await shot('settings', true);

  await page.goto(`${app.backend.adminBaseUrl}/#/models`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  await page.getByText('Reading the hardware…').waitFor({ state: 'detached' });
  await page.getByText('Reading the catalogue…').waitFor({ state: 'detached' });
  await page.setViewportSize({ width: 1280, height: 1000 });
  await shot('models', true);
  // The engine form on a narrow window: labels stay above their fields, fields wrap by whole columns.
  await page.setViewportSize({ width: 900, height: 1000 });
  await page.getByRole('heading', { name: 'Engine' }).scrollIntoViewIfNeeded();
  await page.locator('.engine-panel').screenshot({ path: `${OUT}models-engine-900.png` });
  console.log('wrote docs/screenshots/models-engine-900.png');
  await page.setViewportSize({ width: 1400, height: 1000 });

  await page.goto(`${app.backend.adminBaseUrl}/#/keys`);
  await page.getByLabel('Name of the new key').fill('forge-production');
  await page.getByRole('button', { name: 'Create key' }).click();
  await page.getByLabel('New API key').waitFor();
  // The key itself stays out of the picture: it is shown once, then only its prefix.
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('row', { name: /forge-production/ }).getByRole('button', { name: 'Rotate…' }).click();
  await shot('api-keys');
} finally {
  await app.close();
  await engine.dispose();
}
