// A page broken down again after its first breakdown reached Jira. The backend's own records say
// what the page already put into Jira, so this holds even when the team has renamed the issues and
// Jira's title search no longer relates them: an unchanged requirement (the same blocks) is skipped
// as already in Jira, its epic too, so the new requirement joins the epic Jira already has; an issue
// whose text is gone from the page is reported; and the reviewer can still decide otherwise.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/inProcess.ts';
import { parseBreakdown, flattenBreakdown } from '../../core/breakdown/schema.ts';
import { UNCHANGED_ON_PAGE } from '../../core/jobs/skipItems.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';

const FR1 = '<p>FR-1: The shop must refund a cancelled order to the original card within 14 days.</p>';
const FR2 = '<p>FR-2: The customer must receive an email when the refund is issued.</p>';
const FR3 = '<p>FR-3: The support agent must be able to refund part of an order.</p>';
const V1 = `<h1>Refunds</h1>${FR1}${FR2}`;
// Version 2 drops FR-2 and adds FR-3.
const V2 = `<h1>Refunds</h1>${FR1}${FR3}`;

test('a page broken down again skips what is unchanged (epic included), reports what is gone, and creates only the new story, under the existing epic', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: '9100', title: 'Refunds', storage: V1, version: 1 });

  const start = async (requestedBy: string) => ((await (await h.pub('/v1/jobs', { json: { pageId: '9100', siteUrl: h.fake.url, requestedBy } })).json()) as { jobId: string }).jobId;
  const detailWhenCompared = async (jobId: string): Promise<JobDetailResponse> => {
    for (let i = 0; i < 200; i++) {
      const d = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
      if (d.duplicates.searchedAt) return d;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the duplicate comparison never finished');
  };

  // First breakdown, approved and created.
  const first = await start('first');
  await h.poll(first, (j) => j.state === 'awaiting_review');
  const firstDetail = await detailWhenCompared(first);
  assert.deepEqual(firstDetail.duplicates.decisions, [], 'nothing to skip the first time');
  assert.deepEqual(firstDetail.duplicates.noLongerOnPage, []);
  await h.admin(`/api/jobs/${first}/approve`, { json: { by: 'lead' } });
  const done = await h.poll(first, (j) => j.state === 'done' || j.state === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  const firstItems = flattenBreakdown(parseBreakdown(firstDetail.breakdown.latest!.body));
  const keyOfFirst = (re: RegExp) => done.issues.find((i) => re.test(firstItems.find((x) => x.item.id === i.itemId)!.item.title))!.key;
  const fr1Key = keyOfFirst(/original card/);
  const fr2Key = keyOfFirst(/email/);
  const epicKey = done.issues.find((i) => i.itemId === 'E1')!.key;
  const created = h.fake.issues.length;

  // The team renames the issues in Jira; then the page changes.
  for (const issue of h.fake.issues) issue.fields.summary = `Backlog entry ${issue.key}`;
  h.fake.addPage({ id: '9100', title: 'Refunds', storage: V2, version: 2 });
  const second = await start('second');
  await h.poll(second, (j) => j.state === 'awaiting_review');
  const detail = await detailWhenCompared(second);
  const items = flattenBreakdown(parseBreakdown(detail.breakdown.latest!.body));
  const fr1 = items.find((x) => x.level === 'story' && /original card/.test(x.item.title))!;
  const fr3 = items.find((x) => x.level === 'story' && /part of an order/.test(x.item.title))!;
  assert.ok(fr1 && fr3, items.map((x) => x.item.title).join(' | '));

  // Offered with where it came from, and decided as unchanged.
  const offered = detail.duplicates.candidates!.find((c) => c.itemId === fr1.item.id)!.candidates.find((c) => c.origin === 'page-history')!;
  assert.equal(offered.key, fr1Key);
  assert.equal(offered.score, 1);
  assert.match(offered.note ?? '', new RegExp(`Created from this page by job ${first.slice(0, 8)} \\(page version 1`));
  const decisions = new Map(detail.duplicates.decisions.map((d) => [d.itemId, d]));
  assert.deepEqual([decisions.get(fr1.item.id)?.decision, decisions.get(fr1.item.id)?.issueKey, decisions.get(fr1.item.id)?.decidedBy], ['skip', fr1Key, UNCHANGED_ON_PAGE]);
  assert.deepEqual([decisions.get(fr3.parentId!)?.decision, decisions.get(fr3.parentId!)?.issueKey], ['skip', epicKey], 'the epic is the one its unchanged story sat under');
  assert.equal(decisions.get(fr3.item.id), undefined, 'the new requirement is not decided for the reviewer');
  assert.equal(decisions.size, 2);

  // FR-2 is gone from the page: its issue is reported, not touched.
  assert.deepEqual(detail.duplicates.noLongerOnPage.map((x) => [x.key, x.level]), [[fr2Key, 'story']]);

  // A decision the reviewer makes is kept when the comparison runs again.
  const put = await h.admin(`/api/jobs/${second}/duplicates/${fr1.item.id}`, { method: 'PUT', json: { issueKey: fr1Key, decision: 'link', by: 'lead' } });
  assert.equal(put.status, 200);
  assert.equal((await h.admin(`/api/jobs/${second}/duplicates/search`, { json: {} })).status, 200);
  const after = (await (await h.admin(`/api/jobs/${second}`)).json()) as JobDetailResponse;
  assert.deepEqual(after.duplicates.decisions.filter((d) => d.itemId === fr1.item.id).map((d) => [d.decision, d.decidedBy]), [['link', 'lead']]);
  // Back to skipping it, then approve.
  await h.admin(`/api/jobs/${second}/duplicates/${fr1.item.id}`, { method: 'PUT', json: { issueKey: fr1Key, decision: 'skip', by: 'lead' } });
  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  const again = await h.poll(second, (j) => j.state === 'done' || j.state === 'failed');
  assert.equal(again.state, 'done', JSON.stringify(again.error));
  assert.deepEqual(again.issues.map((i) => i.itemId), [fr3.item.id], 'only the new requirement was created');
  const newStory = h.fake.issues.find((i) => i.key === again.issues[0]!.key)!;
  assert.equal((newStory.fields.parent as { key?: string } | undefined)?.key, epicKey, 'under the epic Jira already had');
  assert.equal(h.fake.issues.length - created, 1);
  h.fake.assertNoViolations();
});
