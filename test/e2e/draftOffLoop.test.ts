// A 4.8 MB page of 59,000 requirements is drafted (no model loaded) off the event loop: while the job
// is generating, the health check and the job's status answer within 100 ms each.

import { test } from 'node:test';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import assert from 'node:assert/strict';
import { startHarness } from './support/inProcess.ts';

const LIMIT_MS = 100;
// As in parseOffLoop.test.ts: on a shared 2-core machine under load a rare answer misses 100 ms by
// scheduling alone, so 90 % must be within 100 ms and none may take a second. Drafting this page on
// the event loop stalls it for the whole draft (several seconds of CPU), far beyond both.
const STRAY_MS = 1000;

/** Sections of 20 requirement items each, up to 4.8 MB: drafting it takes seconds of CPU. */
function requirementsPage(bytes: number): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 1; length < bytes; i++) {
    let section = `<h2>Area ${i}</h2><ul>`;
    for (let j = 1; j <= 20; j++) section += `<li>The service must record event ${i}.${j} for account ${(i * 31 + j) % 997} within ${j} seconds.</li>`;
    section += '</ul>';
    parts.push(section);
    length += section.length;
  }
  return parts.join('');
}

test('health and job status answer within 100 ms while a 4.8 MB page of requirements is drafted', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: '5006', title: 'Requirements', storage: requirementsPage(4.8 * 1024 * 1024) });
  // The first health check asks Jira and Confluence (then cached): not what this test measures.
  await h.pub('/v1/health');
  const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '5006', siteUrl: h.fake.url, requestedBy: 'acc-6' } })).json()) as { jobId: string };

  const timed = async (path: string) => {
    const started = performance.now();
    const res = await h.pub(path);
    const body = (await res.json()) as { state?: string; progress?: { step?: string }; checkedAt?: string };
    return { ms: performance.now() - started, body };
  };
  // Wait for drafting to begin (the page is fetched, stored and parsed first).
  const end = Date.now() + 120_000;
  let step: string | undefined;
  let slowest = 0;
  while (Date.now() < end) {
    const status = await timed(`/v1/jobs/${jobId}`);
    slowest = Math.max(slowest, status.ms);
    step = status.body.progress?.step;
    if (step === 'generating' || step === 'review') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // Drafting on the event loop holds every answer back until it is over: the job is never seen generating.
  assert.equal(step, 'generating', `the job was never seen generating (the slowest status answer took ${slowest.toFixed(0)} ms)`);

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const samples: { path: string; ms: number }[] = [];
  let checkedAt = (await timed('/v1/health')).body.checkedAt;
  while (Date.now() < end) {
    const status = await timed(`/v1/jobs/${jobId}`);
    const health = await timed('/v1/health');
    // Only answers given while drafting was still running count (the status says so).
    if (status.body.progress?.step !== 'generating') break;
    samples.push({ path: 'status', ms: status.ms });
    // Every few seconds the health check asks Jira and Confluence again (a network round trip, not a pause).
    if (health.body.checkedAt === checkedAt) samples.push({ path: 'health', ms: health.ms });
    checkedAt = health.body.checkedAt;
    await new Promise((r) => setTimeout(r, 20));
  }
  delay.disable();
  assert.ok(samples.length >= 10, `${samples.length} answers while drafting`);
  const slow = samples.filter((s) => s.ms > LIMIT_MS);
  assert.ok(slow.length <= samples.length * 0.1, `${slow.length} of ${samples.length} answers slower than ${LIMIT_MS} ms while drafting: ${JSON.stringify(slow)}`);
  assert.deepEqual(samples.filter((s) => s.ms > STRAY_MS), [], `answers slower than ${STRAY_MS} ms while drafting`);
  assert.ok(delay.max / 1e6 < STRAY_MS, `the event loop paused for ${(delay.max / 1e6).toFixed(0)} ms while the page was drafted`);
  const done = await h.poll(jobId, (j) => j.state === 'awaiting_review', 180_000);
  assert.equal(done.state, 'awaiting_review');
});
