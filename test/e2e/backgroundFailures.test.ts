// Work the backend does without a request waiting on it reports its failures as state, not only as
// log lines: a retention sweep that fails shows in the health answers (with its reason on the admin
// listener only) until a later sweep succeeds, and a job whose duplicate search of Jira failed says
// so in its detail until a later search works.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySecretStore } from '../../core/secrets/secretStore.ts';
import { startBackend } from '../../core/server/backend.ts';
import { productParts } from '../../core/server/productParts.ts';
import { DrafterEngine } from '../../core/model/index.ts';
import type { HealthReport } from '../../core/server/health.ts';
import type { HealthResponse } from '../../core/server/publicApi.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';
import { startFakeAtlassian } from '../fakes/atlassian/server.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import { loadTestConfig, startHarness } from './support/inProcess.ts';

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not happen in ${ms} ms; last: ${JSON.stringify(last)}`);
}

test('a failing retention sweep is reported by both health answers until a later sweep succeeds', async (t) => {
  const fake = await startFakeAtlassian();
  t.after(() => fake.close());
  const dataDir = mkdtempSync(join(tmpdir(), 's2t-background-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const backend = await startBackend({
    loaded: loadTestConfig(fake, dataDir),
    secrets: new MemorySecretStore({ atlassianApiToken: fake.apiToken }),
    engine: new DrafterEngine(),
    parts: productParts(),
    retentionSweepIntervalMs: 100,
  });
  t.after(() => backend.close());
  const { key } = await backend.apiKeys.create('forge', 'test');
  const adminHealth = async () =>
    (await (await fetch(`${backend.adminBaseUrl}/api/health`, { headers: { authorization: `Bearer ${backend.sessionToken}` } })).json()) as HealthReport;
  const publicHealth = async () => (await (await fetch(`${backend.publicUrl}/v1/health`, { headers: { authorization: `Bearer ${key}` } })).json()) as HealthResponse;

  const first = await until('the first sweep', adminHealth, (h) => h.background.retention.state === 'ok');
  assert.equal(first.status, 'ok');
  assert.ok(first.background.retention.lastOkAt);

  // The database refuses the sweep's write (as a locked or full disk would).
  const store = backend.store as unknown as { expireWaitingBefore: (...a: unknown[]) => Promise<string[]> };
  const real = store.expireWaitingBefore.bind(store);
  store.expireWaitingBefore = async () => {
    throw new Error('database or disk is full');
  };
  const failing = await until('the failure to show', adminHealth, (h) => h.background.retention.state === 'failed');
  assert.equal(failing.status, 'degraded');
  assert.match(failing.background.retention.failure?.message ?? '', /^Retention sweep failed: database or disk is full$/);
  assert.ok((failing.background.retention.failure?.consecutive ?? 0) >= 1);
  assert.equal(failing.background.retention.lastOkAt, first.background.retention.lastOkAt, 'the last success is kept');

  // Forge sees that something is wrong, but not the reason (which may name local files).
  const pub = await publicHealth();
  assert.equal(pub.status, 'degraded');
  assert.equal(pub.background.retention.ok, false);
  assert.doesNotMatch(JSON.stringify(pub), /disk is full/);

  // The admin's event stream announces it, so the queue can show it without polling.
  const events = await fetch(`${backend.adminBaseUrl}/api/events`, { headers: { authorization: `Bearer ${backend.sessionToken}` } });
  const reader = events.body!.getReader();
  let text = '';
  while (!/event: background\ndata: [^\n]*"state":"failed"/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  assert.match(text, /event: background\ndata: [^\n]*Retention sweep failed/);

  store.expireWaitingBefore = real;
  const healed = await until('the recovery', adminHealth, (h) => h.background.retention.state === 'ok');
  assert.equal(healed.status, 'ok');
  assert.equal(healed.background.retention.failure, null);
  assert.equal((await publicHealth()).background.retention.ok, true);
});

test('a job whose duplicate search failed says so in its detail until a later search works', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: '9101', title: 'Onboarding', storage: loadCorpusPage('user-stories-onboarding').content });
  // Jira's search is down while the job is generated: the search after generation fails.
  h.fake.failNext(/\/rest\/api\/3\/search\/jql/, { status: 400, times: 1000 });
  const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '9101', siteUrl: h.fake.url, requestedBy: 'acc-9' } })).json()) as { jobId: string };
  await h.poll(jobId, (j) => j.state === 'awaiting_review');
  const detail = async () => (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
  const failed = await until('the failed search to be recorded', detail, (d) => d.duplicates.lastFailure !== null);
  assert.match(failed.duplicates.lastFailure!.message, /^Could not search Jira for duplicates: /);
  assert.ok(Date.parse(failed.duplicates.lastFailure!.at) > 0);

  h.fake.clearFaults();
  const again = await h.admin(`/api/jobs/${jobId}/duplicates/search`, { json: {} });
  assert.equal(again.status, 200);
  assert.equal((await detail()).duplicates.lastFailure, null);
});
