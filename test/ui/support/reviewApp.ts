// Everything a UI test needs, real and on this machine: the renderer built with Vite into a temp
// folder, the backend started in-process serving that build (fake Atlassian site, drafter engine,
// temp data folder, ports chosen by the OS), and Debian's Chromium driven by playwright-core with a
// fresh profile.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { loadTestConfig } from '../../e2e/support/inProcess.ts';
import { MemorySecretStore } from '../../../core/secrets/secretStore.ts';
import { startBackend, type Backend } from '../../../core/server/backend.ts';
import { productParts } from '../../../core/server/productParts.ts';
import { DrafterEngine } from '../../../core/model/index.ts';
import type { BreakdownEngine } from '../../../core/model/types.ts';
import type { JobStatusView } from '../../../core/server/jobView.ts';
import { startFakeAtlassian, type FakeAtlassian } from '../../fakes/atlassian/server.ts';

const RENDERER_CONFIG = fileURLToPath(new URL('../../../renderer/vite.config.ts', import.meta.url));
export const CHROMIUM = process.env.SPEC2TICKETS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Builds the renderer with Vite's JS API into `outDir`. */
export async function buildRenderer(outDir: string): Promise<void> {
  await build({ configFile: RENDERER_CONFIG, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

export interface ReviewApp {
  backend: Backend;
  fake: FakeAtlassian;
  browser: BrowserContext;
  apiKey: string;
  /** Creates a job through the public API (as the Forge app would) and returns its id. */
  createJob(pageId: string, requestedBy: string): Promise<string>;
  /** Polls the public job status until `until` holds. */
  waitForJob(jobId: string, until: (j: JobStatusView) => boolean, timeoutMs?: number): Promise<JobStatusView>;
  /** GET on the admin API with the session token, parsed. */
  adminJson<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

export async function startReviewApp(o: { engine?: BreakdownEngine; retentionSweepIntervalMs?: number; env?: Record<string, string> } = {}): Promise<ReviewApp> {
  const temp = mkdtempSync(join(tmpdir(), 's2t-ui-'));
  const rendererDir = join(temp, 'renderer');
  const dataDir = join(temp, 'data');
  const profileDir = join(temp, 'chromium-profile');
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(temp, { recursive: true, force: true })];
  const close = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    await buildRenderer(rendererDir);
    const fake = await startFakeAtlassian();
    cleanups.push(() => fake.close());
    const loaded = loadTestConfig(fake, dataDir, o.env ?? {}, temp);
    const backend = await startBackend({
      loaded,
      secrets: new MemorySecretStore({ atlassianApiToken: fake.apiToken }),
      engine: o.engine ?? new DrafterEngine(),
      parts: productParts(),
      rendererDir,
      ...(o.retentionSweepIntervalMs ? { retentionSweepIntervalMs: o.retentionSweepIntervalMs } : {}),
    });
    cleanups.push(() => backend.close());
    const { key: apiKey } = await backend.apiKeys.create('forge-ui-test', 'test');
    const browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: { width: 1400, height: 1000 },
      timeout: 20_000,
    });
    cleanups.push(() => browser.close());

    const pub = (path: string, body?: unknown) =>
      fetch(backend.publicUrl + path, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    return {
      backend,
      fake,
      browser,
      apiKey,
      createJob: async (pageId, requestedBy) => {
        const res = await pub('/v1/jobs', { pageId, siteUrl: fake.url, requestedBy });
        if (res.status !== 202 && res.status !== 200) throw new Error(`job was not created: ${res.status} ${await res.text()}`);
        return ((await res.json()) as { jobId: string }).jobId;
      },
      waitForJob: async (jobId, until, timeoutMs = 15_000) => {
        const end = Date.now() + timeoutMs;
        let last: JobStatusView | undefined;
        while (Date.now() < end) {
          const res = await pub(`/v1/jobs/${jobId}`);
          if (res.status === 429) {
            // A rate-limited poll waits as long as the backend asks, as the Forge macro does.
            await res.body?.cancel();
            await new Promise((r) => setTimeout(r, Math.min(Number(res.headers.get('retry-after') ?? '1') * 1000, Math.max(0, end - Date.now()))));
            continue;
          }
          last = (await res.json()) as JobStatusView;
          if (until(last)) return last;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`job ${jobId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
      },
      adminJson: async <T>(path: string) => {
        const res = await fetch(backend.adminBaseUrl + path, { headers: { authorization: `Bearer ${backend.sessionToken}` } });
        if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
        return (await res.json()) as T;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Approves the open job from its screen: "Approve and create in Jira", then the summary's confirm
 * button (ticking "approve anyway" first when the summary lists gaps). Returns the summary's text.
 */
export async function approveFromScreen(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Approve and create in Jira' }).click();
  const dialog = page.getByRole('dialog', { name: 'Approve and create in Jira' });
  await dialog.waitFor();
  const text = await dialog.innerText();
  const anyway = dialog.getByLabel('I have read these gaps and approve anyway');
  if (await anyway.count()) await anyway.check();
  await dialog.getByRole('button', { name: /^(Create|Approve anyway and create) \d+ issues?/ }).click();
  return text;
}
