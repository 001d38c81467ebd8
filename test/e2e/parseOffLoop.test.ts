// A 5 MB hostile page (4.8 MB of nesting that is never closed) is parsed off the event loop: while
// the job is parsing, the health check and the job's status answer within 100 ms each.

import { test } from 'node:test';
import { startHarness } from './support/inProcess.ts';
import { assertAnswersDuring } from './support/responsiveness.ts';
import { loadCorpusPage } from '../corpus/index.ts';

test('health and job status answer within 100 ms while a 5 MB hostile page is parsed', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  const head = loadCorpusPage('user-stories-onboarding').content;
  const page = head + '<a><p>'.repeat(Math.floor((4.8 * 1024 * 1024 - head.length) / 6));
  h.fake.addPage({ id: '5005', title: 'Hostile', storage: page });
  // The first health check asks Jira and Confluence (then cached): not what this test measures.
  await h.pub('/v1/health');
  const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '5005', siteUrl: h.fake.url, requestedBy: 'acc-5' } })).json()) as { jobId: string };

  await assertAnswersDuring(h, jobId, 'parsing', 'parsing', 60_000);
  await h.poll(jobId, (j) => j.state === 'awaiting_review', 120_000);
});
