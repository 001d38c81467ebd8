// The backend runs its own retention sweeper: a job left waiting past the retention period is
// cancelled and its content purged without anyone calling the sweep (a backend that never started
// the sweeper would keep every page forever).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySecretStore } from '../../core/secrets/secretStore.ts';
import { startBackend } from '../../core/server/backend.ts';
import { productParts } from '../../core/server/productParts.ts';
import { DrafterEngine } from '../../core/model/index.ts';
import type { JobStatusView } from '../../core/server/jobView.ts';
import { EXPIRED_CODE } from '../../core/jobs/retention.ts';
import { startFakeAtlassian } from '../fakes/atlassian/server.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import { loadTestConfig } from './support/inProcess.ts';

const DAY = 86_400_000;

test('a job waiting for review past the retention period is cancelled and purged by the running backend', async (t) => {
  const fake = await startFakeAtlassian();
  t.after(() => fake.close());
  const dataDir = mkdtempSync(join(tmpdir(), 's2t-retention-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  let offset = 0;
  const backend = await startBackend({
    loaded: loadTestConfig(fake, dataDir, { SPEC2TICKETS_RETENTION_DAYS: '7' }),
    secrets: new MemorySecretStore({ atlassianApiToken: fake.apiToken }),
    engine: new DrafterEngine(),
    parts: productParts(),
    now: () => new Date(Date.now() + offset),
    retentionSweepIntervalMs: 100,
  });
  t.after(() => backend.close());
  const { key } = await backend.apiKeys.create('forge', 'test');
  const get = async (id: string) =>
    (await (await fetch(`${backend.publicUrl}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as JobStatusView & { purgedAt?: string };
  const waitFor = async (id: string, until: (j: JobStatusView) => boolean) => {
    const end = Date.now() + 20_000;
    let last: JobStatusView | undefined;
    while (Date.now() < end) {
      last = await get(id);
      if (until(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`job ${id} did not get there; last: ${JSON.stringify(last)}`);
  };

  fake.addPage({ id: '7007', title: 'Onboarding', storage: loadCorpusPage('user-stories-onboarding').content });
  const created = await fetch(`${backend.publicUrl}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ pageId: '7007', siteUrl: fake.url, requestedBy: 'acc-7' }),
  });
  const { jobId } = (await created.json()) as { jobId: string };
  await waitFor(jobId, (j) => j.state === 'awaiting_review');
  // Several sweeps pass while the job is young: nothing happens to it.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal((await get(jobId)).state, 'awaiting_review');

  // Eight days later, with nobody calling the sweep: the sweeper the backend started cancels it.
  offset = 8 * DAY;
  const expired = await waitFor(jobId, (j) => j.state === 'cancelled');
  assert.equal(expired.error?.code, EXPIRED_CODE);
  assert.match(expired.error?.message ?? '', /was not reviewed within the retention period \(7 days\)/);
  const snapshot = await backend.store.latestSnapshot(jobId);
  assert.equal(snapshot?.body ?? null, null, 'the page content is gone');
  assert.ok((await backend.store.getJob(jobId))?.purgedAt, 'the job is marked purged');
});
