// A 4.8 MB page of 59,000 requirements is drafted (no model loaded) off the event loop: while the job
// is generating, the health check and the job's status answer within 100 ms each.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/inProcess.ts';
import { assertAnswersDuring } from './support/responsiveness.ts';

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

  await assertAnswersDuring(h, jobId, 'generating', 'drafting', 120_000);
  const done = await h.poll(jobId, (j) => j.state === 'awaiting_review', 180_000);
  assert.equal(done.state, 'awaiting_review');
});
