import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobRunner } from './runner.ts';
import type { PipelineSteps } from './runner.ts';
import { SqliteJobStore } from '../store/sqliteStore.ts';
import { parseSpec } from '../spec/index.ts';
import type { BreakdownEngine, ModelStatus } from '../model/types.ts';
import { sampleBreakdown } from '../../test/fakes/atlassian/breakdowns.ts';

/** An engine that takes its time and counts how many generations run at once. */
class SlowCountingEngine implements BreakdownEngine {
  readonly name = 'slow-counting';
  running = 0;
  maxRunning = 0;
  calls = 0;
  constructor(private readonly ms: number) {}
  status(): ModelStatus {
    return { state: 'absent' };
  }
  onStatus(): () => void {
    return () => {};
  }
  async generate() {
    this.calls++;
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      await new Promise((r) => setTimeout(r, this.ms));
      return sampleBreakdown(1, 1, 0);
    } finally {
      this.running--;
    }
  }
  async dispose(): Promise<void> {}
}

test('three queued jobs are generated one at a time (one model, one GPU), and all reach review', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-runner-'));
  const store = new SqliteJobStore({ dataDir: dir });
  const engine = new SlowCountingEngine(150);
  const steps: PipelineSteps = {
    engine,
    fetchPage: async (job) => ({ title: `Page ${job.pageId}`, version: 1, body: `<h1>Page ${job.pageId}</h1><p>Refunds within 14 days.</p>`, webUrl: `https://acme.atlassian.net/wiki/x/${job.pageId}` }),
    parse: (snap) => parseSpec(snap.body, { format: 'storage', title: snap.title }),
    createIssues: async () => {
      throw new Error('not approved in this test');
    },
  };
  const runner = new JobRunner({ store, steps });
  t.after(async () => {
    await runner.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ids: string[] = [];
  for (const pageId of ['1', '2', '3']) {
    ids.push((await store.createOrFindOpenJob({ pageId, siteUrl: 'https://acme.atlassian.net', pageVersion: null, requestedBy: 'acc-1' }, 'forge')).job.id);
  }
  runner.start();
  // New work announced while a generation runs must queue behind it, not start beside it.
  const waker = setInterval(() => runner.wake(), 10);
  t.after(() => clearInterval(waker));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const states = await Promise.all(ids.map(async (id) => (await store.getJob(id))?.state));
    if (states.every((s) => s === 'awaiting_review' || s === 'failed')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const states = await Promise.all(ids.map(async (id) => (await store.getJob(id))?.state));
  assert.deepEqual(states, ['awaiting_review', 'awaiting_review', 'awaiting_review']);
  assert.equal(engine.calls, 3);
  assert.equal(engine.maxRunning, 1, 'never two generations at once');
});

/**
 * A job left generating, with `trail` written to its audit log after it entered generating (the
 * rows earlier starts of the backend left), then a runner started on it; resolves once the job has
 * left generating (or after 5 s).
 */
async function resumeGenerating(t: TestContext, trail: { action: string; details: Record<string, unknown> }[]) {
  const dir = mkdtempSync(join(tmpdir(), 's2t-runner-'));
  const store = new SqliteJobStore({ dataDir: dir });
  const engine = new SlowCountingEngine(10);
  const steps: PipelineSteps = {
    engine,
    fetchPage: async () => ({ title: 'Page', version: 1, body: '<h1>Page</h1><p>Refunds within 14 days.</p>', webUrl: 'https://acme.atlassian.net/wiki/x/1' }),
    parse: (snap) => parseSpec(snap.body, { format: 'storage', title: snap.title }),
    createIssues: async () => {
      throw new Error('not approved in this test');
    },
  };
  t.after(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const { job } = await store.createOrFindOpenJob({ pageId: '1', siteUrl: 'https://acme.atlassian.net', pageVersion: null, requestedBy: 'acc-1' }, 'forge');
  await store.transition(job.id, 'fetching', { actor: 'system', from: 'queued' });
  await store.transition(job.id, 'generating', { actor: 'system', from: 'fetching', snapshot: { version: 1, title: 'Page', webUrl: 'https://acme.atlassian.net/wiki/x/1', body: '<p>Refunds within 14 days.</p>' } });
  for (const row of trail) await store.audit({ jobId: job.id, actor: 'system', ...row });
  const runner = new JobRunner({ store, steps });
  runner.start();
  t.after(() => runner.stop());
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && (await store.getJob(job.id))?.state === 'generating') await new Promise((r) => setTimeout(r, 10));
  return { job: await store.getJob(job.id), engine };
}

const resumedGenerating = { action: 'job.resumed', details: { state: 'generating' } };

test('a generation interrupted three times (the model process crashed each time) is failed with the reason, not run again', async (t) => {
  // Three earlier starts found the job generating and resumed it; each time the process died mid-way.
  // The fourth start fails the job instead of generating (and crashing) again.
  const { job: failed, engine } = await resumeGenerating(t, [resumedGenerating, resumedGenerating, resumedGenerating]);
  assert.equal(failed?.state, 'failed');
  assert.equal(failed?.error?.code, 'generation_interrupted');
  assert.match(failed?.error?.message ?? '', /interrupted 3 times .* Retry it once the model is sound/);
  assert.equal(engine.calls, 0, 'the breakdown was not generated a fourth time');
});

test('only resumes since the job last entered generating count: a generation entered afresh after three crashes runs', async (t) => {
  // The job entered generating again (as a retry does), then was resumed once, and resumes in other states.
  const { job, engine } = await resumeGenerating(t, [
    resumedGenerating,
    resumedGenerating,
    resumedGenerating,
    { action: 'state.generating', details: {} },
    resumedGenerating,
    { action: 'job.resumed', details: { state: 'creating' } },
    { action: 'job.resumed', details: { state: 'creating' } },
  ]);
  assert.equal(job?.state, 'awaiting_review');
  assert.equal(engine.calls, 1);
});
