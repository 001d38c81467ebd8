// Starts the real backend in this process against the fake Atlassian site, on loopback ports
// chosen by the OS, with a throw-away data folder; and gives Forge-style and admin-style clients.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../core/config/config.ts';
import { MemorySecretStore } from '../../../core/secrets/secretStore.ts';
import { startBackend, type Backend } from '../../../core/server/backend.ts';
import { productParts, type ProductPartsOptions } from '../../../core/server/productParts.ts';
import type { BreakdownEngine } from '../../../core/model/types.ts';
import { DrafterEngine } from '../../../core/model/index.ts';
import { allowLoopbackForTests } from '../../../core/model/download.ts';
import { startFakeAtlassian, type FakeAtlassian, type FakeAtlassianOptions } from '../../fakes/atlassian/server.ts';
import type { JobStatusView } from '../../../core/server/jobView.ts';
import type { Logger } from '../../../core/jobs/runner.ts';

/** A per-key rate no test's polling reaches. */
export const RELAXED_RATE = { SPEC2TICKETS_RATE_LIMIT_PER_MINUTE: '100000', SPEC2TICKETS_RATE_LIMIT_BURST: '10000' };

export interface Harness {
  fake: FakeAtlassian;
  backend: Backend;
  dataDir: string;
  apiKey: string;
  /** fetch on the public listener with the API key. */
  pub(path: string, init?: RequestInit & { json?: unknown; key?: string | null }): Promise<Response>;
  /** fetch on the admin listener with the session token. */
  admin(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Polls GET /v1/jobs/:id until `until` holds (or the timeout passes). */
  poll(jobId: string, until: (j: JobStatusView) => boolean, timeoutMs?: number): Promise<JobStatusView>;
  close(): Promise<void>;
}

/**
 * Backend configuration for tests: loopback ports chosen by the OS, the fake site, project PAY, and a
 * per-key rate no test's polling reaches (tests poll far faster than the Forge macro; the tests of
 * the limit itself set their own figures in `env`).
 */
export function loadTestConfig(fake: FakeAtlassian, dataDir: string, env: Record<string, string> = {}, cwd = dataDir) {
  return loadConfig({
    cwd,
    env: {
      SPEC2TICKETS_DATA_DIR: dataDir,
      SPEC2TICKETS_PUBLIC_PORT: '0',
      SPEC2TICKETS_ADMIN_PORT: '0',
      SPEC2TICKETS_SITE_URL: fake.url,
      SPEC2TICKETS_ATLASSIAN_EMAIL: fake.email,
      SPEC2TICKETS_JIRA_PROJECT: 'PAY',
      ...RELAXED_RATE,
      ...env,
    },
  });
}

export async function startHarness(
  o: {
    fake?: FakeAtlassianOptions;
    env?: Record<string, string>;
    engine?: BreakdownEngine;
    parts?: ProductPartsOptions;
    /** An existing data folder (kept on close). */
    dataDir?: string;
    /** Where the backend logs (default: nowhere). */
    log?: Logger;
  } = {},
): Promise<Harness> {
  const fake = await startFakeAtlassian(o.fake);
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 's2t-e2e-'));
  const loaded = loadTestConfig(fake, dataDir, o.env);
  const backend = await startBackend({
    loaded,
    secrets: new MemorySecretStore({ atlassianApiToken: fake.apiToken }),
    engine: o.engine ?? new DrafterEngine(),
    // The model host of these tests runs on loopback, which only a test fetch may download from.
    parts: productParts({ modelFetch: allowLoopbackForTests(), ...o.parts }),
    ...(o.log ? { log: o.log } : {}),
  });
  const { key: apiKey } = await backend.apiKeys.create('forge-test', 'test');
  const withJson = (init: RequestInit & { json?: unknown } = {}): RequestInit => {
    const { json, ...rest } = init;
    if (json === undefined) return rest;
    return { method: 'POST', ...rest, body: JSON.stringify(json), headers: { 'content-type': 'application/json', ...(rest.headers as Record<string, string>) } };
  };
  const pub: Harness['pub'] = (path, init = {}) => {
    const { key, ...rest } = init;
    const r = withJson(rest);
    const headers = new Headers(r.headers);
    if (key !== null) headers.set('authorization', `Bearer ${key ?? apiKey}`);
    return fetch(backend.publicUrl + path, { ...r, headers });
  };
  const admin: Harness['admin'] = (path, init = {}) => {
    const r = withJson(init);
    const headers = new Headers(r.headers);
    headers.set('authorization', `Bearer ${backend.sessionToken}`);
    return fetch(backend.adminBaseUrl + path, { ...r, headers });
  };
  const poll: Harness['poll'] = async (jobId, until, timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    let last: JobStatusView | undefined;
    while (Date.now() < end) {
      const res = await pub(`/v1/jobs/${jobId}`);
      if (res.status === 429) {
        // Like the Forge macro: a rate-limited poll waits as long as the backend asks, then goes on.
        await res.body?.cancel();
        const wait = Number(res.headers.get('retry-after') ?? '1') * 1000;
        await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(0, end - Date.now()))));
        continue;
      }
      last = (await res.json()) as JobStatusView;
      if (until(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${jobId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
  };
  return {
    fake,
    backend,
    dataDir,
    apiKey,
    pub,
    admin,
    poll,
    close: async () => {
      await backend.close();
      await fake.close();
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
