// A 5 MB hostile page (4.8 MB of nesting that is never closed) is parsed off the event loop: while
// the job is parsing, the health check and the job's status answer within 100 ms each.

import { test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import assert from 'node:assert/strict';
import { startHarness } from './support/inProcess.ts';
import { loadCorpusPage } from '../corpus/index.ts';

const LIMIT_MS = 100;
// On an idle machine every answer takes a few ms. On a shared 2-core machine under load the parser
// thread and other processes compete with the event loop for a core, so a rare answer misses 100 ms
// by scheduling alone: 90 % must be within 100 ms and none may take a second. Parsing this page on
// the event loop stalls it for the whole parse (2.7 s of CPU, more under load), far beyond both.
const STRAY_MS = 1000;

test('health and job status answer within 100 ms while a 5 MB hostile page is parsed', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const head = loadCorpusPage('user-stories-onboarding').content;
  const page = head + '<a><p>'.repeat(Math.floor((4.8 * 1024 * 1024 - head.length) / 6));
  h.fake.addPage({ id: '5005', title: 'Hostile', storage: page });
  // The first health check asks Jira and Confluence (then cached): not what this test measures.
  await h.pub('/v1/health');
  const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '5005', siteUrl: h.fake.url, requestedBy: 'acc-5' } })).json()) as { jobId: string };

  const timed = async (path: string) => {
    const started = performance.now();
    const res = await h.pub(path);
    const body = (await res.json()) as { state?: string; progress?: { step?: string }; checkedAt?: string };
    return { ms: performance.now() - started, body };
  };
  // Wait for the parse to begin (the page is fetched and stored first).
  const end = Date.now() + 60_000;
  let step: string | undefined;
  let slowest = 0;
  while (Date.now() < end) {
    const status = await timed(`/v1/jobs/${jobId}`);
    slowest = Math.max(slowest, status.ms);
    step = status.body.progress?.step;
    if (step === 'parsing' || step === 'generating' || step === 'review') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // A parse on the event loop holds every answer back until it is over: the job is never seen parsing.
  // (The fetch before it is not measured: the fake Atlassian serving 5 MB runs in this process.)
  assert.equal(step, 'parsing', `the job was never seen parsing (the slowest status answer took ${slowest.toFixed(0)} ms)`);

  // The backend runs in this process: its event loop's pauses are measured directly too.
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const samples: { path: string; ms: number }[] = [];
  let checkedAt = (await timed('/v1/health')).body.checkedAt;
  while (Date.now() < end) {
    const status = await timed(`/v1/jobs/${jobId}`);
    const health = await timed('/v1/health');
    // Only answers given while the parse was still running count (the status says so).
    if (status.body.progress?.step !== 'parsing') break;
    samples.push({ path: 'status', ms: status.ms });
    // Every few seconds the health check asks Jira and Confluence again (a network round trip, not
    // a pause): those answers are not what is measured here.
    if (health.body.checkedAt === checkedAt) samples.push({ path: 'health', ms: health.ms });
    checkedAt = health.body.checkedAt;
    await new Promise((r) => setTimeout(r, 20));
  }
  delay.disable();
  assert.ok(samples.length >= 10, `${samples.length} answers while parsing`);
  const slow = samples.filter((s) => s.ms > LIMIT_MS);
  assert.ok(slow.length <= samples.length * 0.1, `${slow.length} of ${samples.length} answers slower than ${LIMIT_MS} ms while parsing: ${JSON.stringify(slow)}`);
  assert.deepEqual(samples.filter((s) => s.ms > STRAY_MS), [], `answers slower than ${STRAY_MS} ms while parsing`);
  assert.ok(delay.max / 1e6 < STRAY_MS, `the event loop paused for ${(delay.max / 1e6).toFixed(0)} ms while the page was parsed`);
  await h.poll(jobId, (j) => j.state === 'awaiting_review', 120_000);
});
