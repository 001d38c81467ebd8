/// <reference lib="dom" />
// Browser benchmark of the review workspace on a generated 1,000-item job (Chromium through
// playwright-core, the renderer built by Vite, the real backend): the first render of the tree
// (a full page load of the job's address until its rows are on screen), and the latency of one
// keystroke in the title field (keydown until the frame after React has rendered the change).
// Goals: tree < 1 s, keystroke < 50 ms. Each figure is followed by the renderer's own share (React's
// render after the data arrived, React's work for the keystroke), which a busy machine inflates less.
//
//   npm run bench -- reviewWorkspace      (BENCH_LOADS / BENCH_KEYS override the repetitions)

import { loadavg, cpus } from 'node:os';
import { startReviewApp } from '../test/ui/support/reviewApp.ts';
import { BIG_ITEMS, startBigJob } from '../test/ui/support/bigJob.ts';

const LOADS = Number(process.env.BENCH_LOADS ?? 5);
const KEYS = Number(process.env.BENCH_KEYS ?? 40);
const TREE_GOAL_MS = 1000;
const KEY_GOAL_MS = 50;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

const app = await startReviewApp();
try {
  const jobId = await startBigJob(app);
  const page = app.browser.pages()[0] ?? (await app.browser.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(app.backend.adminUrl);
  await page.getByRole('heading', { name: 'Review queue' }).waitFor();
  const url = `${app.backend.adminBaseUrl}/#/jobs/${jobId}`;

  // First render: navigation start → the first tree rows painted, over a full page load each time.
  const loads: number[] = [];
  const renders: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    await page.goto('about:blank');
    await page.goto(url);
    const handle = await page.waitForFunction(() => (document.querySelector('.tree [data-item-id]') ? performance.now() : 0), undefined, { polling: 'raf', timeout: 30_000 });
    const at = (await handle.jsonValue()) as number;
    loads.push(at);
    // The part that is the renderer's own: from the job's data arriving to the rows on screen.
    const dataAt = await page.evaluate((id) => Math.max(0, ...performance.getEntriesByType('resource').filter((r) => r.name.endsWith(`/api/jobs/${id}`)).map((r) => (r as PerformanceResourceTiming).responseEnd)), jobId);
    renders.push(at - dataAt);
  }
  const shown = await page.locator('.tree-count').innerText();
  if (!shown.startsWith(`${BIG_ITEMS} items`)) throw new Error(`the tree shows "${shown}", not the ${BIG_ITEMS} items`);

  // One keystroke in the title: from keydown to the next frame after the input's value changed.
  await page.locator('.tree [data-item-id="S1.1"]').click();
  const title = page.getByLabel('Title', { exact: true });
  await title.click();
  await page.keyboard.press('End');
  await page.evaluate(() => {
    const w = window as unknown as { __keyLatencies: number[]; __reactWork: number[] };
    w.__keyLatencies = [];
    w.__reactWork = [];
    let start = 0;
    let inputAt = 0;
    document.addEventListener('keydown', (e) => (start = e.timeStamp), true);
    // React handles the input event at its root and renders synchronously (a discrete event): a
    // listener on window runs after that work.
    document.addEventListener('input', () => (inputAt = performance.now()), true);
    window.addEventListener('input', () => w.__reactWork.push(performance.now() - inputAt));
    document.addEventListener('input', () => {
      const t0 = start;
      // After React's render of this input: the next frame, then the task after it (the paint).
      requestAnimationFrame(() => setTimeout(() => w.__keyLatencies.push(performance.now() - t0), 0));
    });
  });
  for (let i = 0; i < KEYS; i++) {
    await page.keyboard.type(i % 2 ? 'a' : 'b');
    await page.waitForTimeout(60);
  }
  await page.waitForTimeout(300);
  const keys = await page.evaluate(() => (window as unknown as { __keyLatencies: number[] }).__keyLatencies);
  const work = await page.evaluate(() => (window as unknown as { __reactWork: number[] }).__reactWork);
  if (keys.length < KEYS) throw new Error(`only ${keys.length} of ${KEYS} keystrokes were measured`);

  const treeMedian = quantile(loads, 0.5);
  const keyMedian = quantile(keys, 0.5);
  const keyP95 = quantile(keys, 0.95);
  console.log(`review workspace, ${BIG_ITEMS}-item job, Chromium ${app.browser.browser()?.version() ?? ''}; load average ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (figures include waiting for the CPU)`);
  console.log(`  tree first render   median ${ms(treeMedian)} (min ${ms(Math.min(...loads))}, max ${ms(Math.max(...loads))}, ${LOADS} loads)  goal < ${TREE_GOAL_MS} ms  ${treeMedian < TREE_GOAL_MS ? 'met' : 'MISSED'}`);
  console.log(`    of which rendering after the job's data arrived: median ${ms(quantile(renders, 0.5))}`);
  console.log(`  title keystroke     median ${ms(keyMedian)}, p95 ${ms(keyP95)} (${keys.length} keys)  goal < ${KEY_GOAL_MS} ms  ${keyP95 < KEY_GOAL_MS ? 'met' : 'MISSED'}`);
  console.log(`    of which React's render of the change: median ${ms(quantile(work, 0.5))}, p95 ${ms(quantile(work, 0.95))}`);
} finally {
  await app.close();
}
