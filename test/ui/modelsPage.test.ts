// The Models page in Chromium against a real backend on the real runtime: a model imported into the
// data folder is listed, Load switches the engine and the status badge turns ready, Unload goes
// back to the drafter; an inference server is tested, used and left again without a restart, its
// API key never shown back.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { basename } from 'node:path';
import type { Page } from 'playwright-core';
import { startReviewApp, type ReviewApp } from './support/reviewApp.ts';
import { SwitchableEngine } from '../../core/model/switchableEngine.ts';
import { tinyQwenPath } from '../support/tinyQwen.ts';
import type { ModelResponse } from '../../core/server/admin.ts';
import type { EngineResponse } from '../../core/server/modelApi.ts';
import { MemorySecretStore } from '../../core/secrets/secretStore.ts';
import { startOpenAiTestServer } from '../support/openaiServer.ts';
import type { OpenAiTestServer } from '../support/openaiServer.ts';

describe('Models page in Chromium', () => {
  let app: ReviewApp;
  let page: Page;
  let engine: SwitchableEngine;
  const tiny = tinyQwenPath();
  const name = basename(tiny);

  before(async () => {
    engine = new SwitchableEngine({ gpu: false, llama: { load: { contextSize: 1024, threads: 1 } }, secrets: new MemorySecretStore() });
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

  describe('an inference server', () => {
    let server: OpenAiTestServer;
    before(async () => {
      server = await startOpenAiTestServer({ flavor: 'llama-server', apiKey: 'sk-ui-secret-7781', contextSize: 1024, sequences: 1 });
    });
    after(async () => {
      await server?.close();
    });

    test('Test says what the server is and that it honours JSON-schema output; Use this server switches without a restart; the key never comes back', async () => {
      await page.goto(app.backend.adminUrl);
      await page.getByRole('link', { name: 'Models' }).click();
      await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
      await page.getByLabel('Base URL').fill(`${server.url}/v1`);
      await page.getByLabel('Model name').fill(server.modelName);
      await page.getByLabel('API key').fill('sk-ui-secret-7781');
      await page.getByRole('button', { name: 'Test', exact: true }).click();
      const report = page.getByRole('status', { name: 'Server test' });
      await report.getByText(/llama-server serves qwen2\.5-tiny-test \(context 1024 tokens\) and honours response_format json_schema/).waitFor({ timeout: 60_000 });
      assert.equal(await page.getByRole('alert', { name: 'Privacy warning' }).count(), 0, 'a loopback server gets no privacy warning');

      await page.getByRole('button', { name: 'Use this server' }).click();
      await page.getByText('Breakdowns are now written by qwen2.5-tiny-test on the inference server.').waitFor({ timeout: 30_000 });
      const host = new URL(server.url).host;
      await page.getByRole('status', { name: `Model status: Model ready: qwen2.5-tiny-test (llama-server at ${host})` }).waitFor();
      const view = await app.adminJson<EngineResponse>('/api/model/engine');
      assert.equal(view.kind, 'openai');
      assert.equal(view.remote?.apiKeySet, true);
      assert.ok(!JSON.stringify(view).includes('sk-ui-secret-7781'), 'the key is not in the API answer');
      assert.equal(await page.getByLabel('API key').inputValue(), '', 'the key field is emptied');
      assert.ok(!(await page.content()).includes('sk-ui-secret-7781'), 'the key is not in the page');
      assert.equal((await app.adminJson<ModelResponse>('/api/model')).engine, 'qwen2.5-tiny-test');

      await page.getByRole('button', { name: 'Use this machine' }).click();
      await page.getByRole('status', { name: /Model status: No model/ }).waitFor();
      assert.equal((await app.adminJson<EngineResponse>('/api/model/engine')).kind, 'drafter');
    });
  });
});
