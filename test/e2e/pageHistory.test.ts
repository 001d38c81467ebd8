// A page broken down again after its first breakdown reached Jira: the issues the first job created
// are offered for the items that cite the same blocks, from the backend's own records — so they are
// found even when Jira's title search no longer relates them — and skipping them leaves one issue per
// requirement in Jira, the new one under the epic that already exists.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/inProcess.ts';
import { parseBreakdown, flattenBreakdown } from '../../core/breakdown/schema.ts';
import type { ItemDuplicates } from '../../core/jira/findDuplicates.ts';

const V1 = `<h1>Refunds</h1>
<p>FR-1: The shop must refund a cancelled order to the original card within 14 days.</p>
<p>FR-2: The customer must receive an email when the refund is issued.</p>`;
const V2 = `${V1}
<p>FR-3: The support agent must be able to refund part of an order.</p>`;

type Detail = {
  breakdown: { latest: { body: unknown } | null };
  duplicates: { searchedAt: string | null; candidates: ItemDuplicates[] | null };
};

test('a page broken down again offers the issues its first breakdown created, by cited blocks, even after they were renamed in Jira; skipping them (the epic included) creates only the new story, under the existing epic', async (t) => {
  const h = await startHarness();
  t.after(() => h.close());
  h.fake.addPage({ id: '9100', title: 'Refunds', storage: V1, version: 1 });

  const start = async (requestedBy: string) => ((await (await h.pub('/v1/jobs', { json: { pageId: '9100', siteUrl: h.fake.url, requestedBy } })).json()) as { jobId: string }).jobId;
  const detailWhenSearched = async (jobId: string): Promise<Detail> => {
    for (let i = 0; i < 200; i++) {
      const d = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as Detail;
      if (d.duplicates.searchedAt) return d;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the duplicate search never finished');
  };

  // First breakdown, approved and created.
  const first = await start('first');
  await h.poll(first, (j) => j.state === 'awaiting_review');
  await detailWhenSearched(first);
  await h.admin(`/api/jobs/${first}/approve`, { json: { by: 'lead' } });
  const done = await h.poll(first, (j) => j.state === 'done' || j.state === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  const firstKeys = new Set(done.issues.map((i) => i.key));
  const created = h.fake.issues.length;

  // The page gains a requirement, and the team has since renamed the issues in Jira, so Jira's
  // title search no longer relates them to the items.
  h.fake.addPage({ id: '9100', title: 'Refunds', storage: V2, version: 2 });
  for (const issue of h.fake.issues) issue.fields.summary = `Backlog entry ${issue.key}`;
  const second = await start('second');
  await h.poll(second, (j) => j.state === 'awaiting_review');
  const detail = await detailWhenSearched(second);
  const items = flattenBreakdown(parseBreakdown(detail.breakdown.latest!.body));
  const candidates = new Map((detail.duplicates.candidates ?? []).map((c) => [c.itemId, c.candidates]));

  const fr3 = items.find((x) => x.level === 'story' && /part of an order/.test(x.item.title));
  assert.ok(fr3, 'the new requirement has its own story');
  assert.deepEqual(candidates.get(fr3.item.id) ?? [], [], 'nothing was created for FR-3 before');

  const old = items.filter((x) => x.level === 'story' && x !== fr3);
  assert.ok(old.length >= 2, 'FR-1 and FR-2 are stories again');
  const earlierKey = new Map<string, string>();
  for (const story of old) {
    const offered = (candidates.get(story.item.id) ?? []).filter((c) => c.origin === 'page-history');
    assert.equal(offered.length, 1, `${story.item.id} is matched to the issue made from the same blocks: ${JSON.stringify(candidates.get(story.item.id))}`);
    assert.ok(firstKeys.has(offered[0]!.key));
    assert.equal(offered[0]!.score, 1);
    assert.match(offered[0]!.note ?? '', new RegExp(`Created from this page by job ${first.slice(0, 8)} \\(page version 1`));
    earlierKey.set(story.item.id, offered[0]!.key);
  }

  // The epic too: it was created by the first job, and the new story belongs under it.
  const epic = items.find((x) => x.level === 'epic' && x.item.id === fr3.parentId)!;
  const epicOffer = (candidates.get(epic.item.id) ?? []).find((c) => c.origin === 'page-history');
  assert.ok(epicOffer && firstKeys.has(epicOffer.key), `the epic is matched to the first job's epic: ${JSON.stringify(candidates.get(epic.item.id))}`);
  earlierKey.set(epic.item.id, epicOffer.key);

  for (const [itemId, key] of earlierKey) {
    const r = await h.admin(`/api/jobs/${second}/duplicates/${itemId}`, { method: 'PUT', json: { issueKey: key, decision: 'skip', by: 'lead' } });
    assert.equal(r.status, 200, await r.text());
  }
  await h.admin(`/api/jobs/${second}/approve`, { json: { by: 'lead' } });
  const again = await h.poll(second, (j) => j.state === 'done' || j.state === 'failed');
  assert.equal(again.state, 'done', JSON.stringify(again.error));
  const madeAgain = new Set(again.issues.map((i) => i.itemId));
  for (const itemId of earlierKey.keys()) assert.ok(!madeAgain.has(itemId), `${itemId} was not created a second time`);
  assert.deepEqual([...madeAgain], [fr3.item.id], 'only the new requirement was created');
  const newStory = h.fake.issues.find((i) => i.key === again.issues[0]!.key)!;
  assert.equal((newStory.fields.parent as { key?: string } | undefined)?.key, epicOffer.key, 'under the epic Jira already had');
  assert.equal(h.fake.issues.length - created, again.issues.length);
});
