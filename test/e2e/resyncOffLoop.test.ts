// A re-sync plan reads every earlier version of the page as well as the new one. With a 5 MB page
// those parses run on the page parser thread, not on the event loop that serves both listeners: the
// second breakdown of the page, plan included, keeps the loop busy about as long as the breakdown of
// a page as large with no history (no plan), where parsing the two versions on it would add twice
// the time one parse takes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startHarness } from './support/inProcess.ts';
import { breakDown, PAGE_ID, resyncWhenBuilt, V1, V2, waitForState } from './support/resyncScenario.ts';
import { parseSpec } from '../../core/spec/index.ts';

// 4.7 MB of links never closed: slow to parse, yet few blocks to carry back from the thread.
const TAIL = '<a><p>'.repeat(Math.floor((4.7 * 1024 * 1024) / 6));
const OTHER_PAGE = '9301';

/** How long the event loop was busy (ms) while `step` ran. */
async function loopBusyDuring<T>(step: () => Promise<T>): Promise<{ value: T; busyMs: number }> {
  const before = performance.eventLoopUtilization();
  const value = await step();
  return { value, busyMs: performance.eventLoopUtilization(before).active };
}

test('the re-sync plan of a 5 MB page parses its versions off the event loop', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1 + TAIL, version: 1 });
  const first = await breakDown(h, 'first');
  await h.admin(`/api/jobs/${first}/approve`, { json: { by: 'lead' } });
  const done = await waitForState(h, first, (s) => s === 'done' || s === 'failed', 120_000);
  assert.equal(done.state, 'done', JSON.stringify(done.error));

  // The same steps for a page of the same size that never reached Jira: no plan to build.
  h.fake.addPage({ id: OTHER_PAGE, title: 'Payments copy', storage: V2 + TAIL, version: 1 });
  const alone = await loopBusyDuring(async () => {
    const res = await h.pub('/v1/jobs', { json: { pageId: OTHER_PAGE, siteUrl: h.fake.url, requestedBy: 'alone' } });
    const { jobId } = (await res.json()) as { jobId: string };
    return waitForState(h, jobId, (s) => s === 'awaiting_review', 120_000);
  });

  h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2 + TAIL, version: 2 });
  const second = await loopBusyDuring(async () => resyncWhenBuilt(h, await breakDown(h, 'second')));
  const plan = second.value.plan!;
  assert.deepEqual(plan.fromVersions, [1]);
  assert.equal(plan.toVersion, 2);
  assert.ok(plan.updates.length > 0, 'the reworded requirement is proposed as an update');

  // One parse of the page here, for scale (the plan parses two).
  const started = performance.now();
  parseSpec(V2 + TAIL);
  const parseMs = performance.now() - started;
  const extra = second.busyMs - alone.busyMs;
  assert.ok(
    extra < parseMs,
    `the second breakdown and its plan kept the event loop busy ${second.busyMs.toFixed(0)} ms, the page without history ${alone.busyMs.toFixed(0)} ms: ` +
      `${extra.toFixed(0)} ms more, where one parse of the page takes ${parseMs.toFixed(0)} ms`,
  );
});
