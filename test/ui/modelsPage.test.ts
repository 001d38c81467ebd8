// The Models page in Chromium against a real backend on the real runtime: a model imported into the
// data folder is listed, Load switches the engine and the status badge turns ready, Unload goes
// back to the drafter.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import type { Page } from 'playwright-core';
import { startReviewApp, type ReviewApp } from './support/reviewApp.ts';
import { SwitchableEngine } from '../../core/model/switchableEngine.ts';
import { tinyQwenPath } from '../support/tinyQwen.ts';
import type { ModelResponse } from '../../core/server/admin.ts';

describe('Models page in Chromium', () => {
  let app: ReviewApp;
  let page: Page;
  let engine: SwitchableEngine;
  const tiny = tinyQwenPath();
  const name = basename(tiny);

  before(async () => {
    engine = new SwitchableEngine({ gpu: false, llama: { load: { contextSize: 1024, threads: 1 } } });
    app = await startReviewApp({ engine });
    page = app.browser.pages()[0] ?? (await app.browser.newPage());
    page.setDefaultTimeout(15_000);
  });
  after(async () => {
    await app?.close();
    await engine?.dispose();
  });

  test('an imported model is listed; Load turns the badge to ready and Unload returns to the drafter', async () => {
    await page.goto(app.backend.adminUrl);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    await page.getByText('None (CPU only)').waitFor();
    await page.getByText('Suggested for this machine').waitFor();
    assert.match(await page.locator('.catalogue li.suggested').innerText(), /Qwen 2\.5 3B Instruct/);
    await page.getByText(/several GB .* only when you click Download/).waitFor();

    await page.getByLabel('Import from path').fill(tiny);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByText(`${name} imported into the models folder.`).waitFor();
    const row = page.getByRole('row', { name: new RegExp(name) });
    await row.waitFor();

    await row.getByRole('button', { name: 'Load' }).click();
    await page.getByRole('status', { name: `Model status: Model ready: ${name} (CPU)` }).waitFor();
    await page.getByText(`${name} is loaded; new breakdowns are written by it.`).waitFor();
    assert.match(await row.innerText(), /\(in use\)/);
    const m = await app.adminJson<ModelResponse>('/api/model');
    assert.equal(m.engine, name);

    await page.getByRole('button', { name: 'Unload (use the drafter)' }).click();
    await page.getByRole('status', { name: /Model status: No model/ }).waitFor();
    assert.equal((await app.adminJson<ModelResponse>('/api/model')).engine, 'drafter');
  });
});
