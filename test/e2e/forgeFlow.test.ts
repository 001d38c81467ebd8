import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { adfValidator } from './support/adf.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import { startHarness, type Harness } from './support/inProcess.ts';
import { addSubtasksAndDependency } from './support/reviewEdits.ts';

describe('a Forge request becomes reviewed Jira issues', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('POST /v1/jobs → fake Confluence → drafter → review → approve → fake Jira, with hierarchy, links and labels', async () => {
    const { content } = loadCorpusPage('prd-checkout');
    h.fake.addPage({ id: '1001', title: 'Checkout PRD', storage: content, version: 3 });
    const res = await h.pub('/v1/jobs', { json: { pageId: '1001', siteUrl: h.fake.url + '/', requestedBy: 'acc-42' } });
    assert.equal(res.status, 202);
    const { jobId, created } = (await res.json()) as { jobId: string; created: boolean };
    assert.equal(created, true);

    const again = await h.pub('/v1/jobs', { json: { pageId: '1001', siteUrl: h.fake.url, requestedBy: 'acc-42' } });
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { jobId: string }).jobId, jobId, 'same page, version and requester while open → same job');

    const review = await h.poll(jobId, (j) => j.state === 'awaiting_review');
    assert.ok(review.counts && review.counts.epics > 0 && review.counts.stories > 0, JSON.stringify(review.counts));

    const detailRes = await h.admin(`/api/jobs/${jobId}`);
    assert.equal(detailRes.status, 200);
    const detail = (await detailRes.json()) as { snapshot: { version: number; title: string }; breakdown: { latest: { body: unknown } }; report: { ok?: boolean } | null };
    assert.equal(detail.snapshot.version, 3);
    assert.equal(detail.snapshot.title, 'Checkout PRD');
    assert.ok(detail.report && typeof detail.report === 'object' && 'coverage' in detail.report, 'the check report is part of the detail');
    // The reviewer edits: a title, a sub-task under each story, a dependency; the edit is a new version with its author.
    const breakdown = addSubtasksAndDependency(parseBreakdown(detail.breakdown.latest.body));
    breakdown.epics[0]!.title = 'Checkout: reviewed epic title';
    const put = await h.admin(`/api/jobs/${jobId}/breakdown`, { method: 'PUT', json: { breakdown, author: 'reviewer-ann' } });
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(((await put.json()) as { versionNo: number }).versionNo, 2);

    const edited = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as { breakdown: { diff: { added: number; changed: number; marked: string[] } } };
    assert.ok(edited.breakdown.diff.added > 0, 'the added sub-tasks show in the review diff');
    assert.ok(edited.breakdown.diff.marked.includes(breakdown.epics[0]!.id), 'the retitled epic is marked as changed');

    const approve = await h.admin(`/api/jobs/${jobId}/approve`, { json: { by: 'reviewer-ann' } });
    assert.equal(approve.status, 200, await approve.clone().text());
    const done = await h.poll(jobId, (j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', JSON.stringify(done.error));

    const items = flattenBreakdown(breakdown);
    assert.ok(items.some((x) => x.level === 'subtask'), 'all three levels are created');
    assert.equal(done.issues.length, items.length, 'one issue per approved item');
    assert.equal(h.fake.issues.length, items.length, 'nothing else was created in Jira');
    const byItem = new Map(done.issues.map((i) => [i.itemId, i.key]));
    for (const issue of done.issues) assert.match(issue.url, new RegExp(`/browse/${issue.key}$`));
    // Hierarchy: every story's parent is its epic's issue, every sub-task's parent its story's.
    for (const x of items) {
      const issue = h.fake.issues.find((i) => i.key === byItem.get(x.item.id));
      assert.ok(issue, `issue for ${x.item.id}`);
      if (x.parentId) assert.equal(issue.parentKey, byItem.get(x.parentId), `${x.item.id} parent`);
      assert.ok(issue.labels.some((l) => l.startsWith('s2t-')), `${issue.key} carries the job label`);
    }
    const epicIssue = h.fake.issues.find((i) => i.key === byItem.get(breakdown.epics[0]!.id))!;
    assert.equal(epicIssue.fields.summary, 'Checkout: reviewed epic title', 'the edited version was created, not the generated one');
    // ADF validity of every description sent to Jira.
    const adfProblem = adfValidator();
    let withDescription = 0;
    for (const issue of h.fake.issues) {
      if (issue.fields.description === undefined) continue;
      withDescription++;
      assert.equal(adfProblem(issue.fields.description), null, `${issue.key} description is valid ADF`);
    }
    assert.ok(withDescription > 0, 'descriptions were sent as ADF');
    // The acceptance criteria reach Jira: each one's words are in its issue's description.
    const textOf = (node: unknown): string => {
      if (!node || typeof node !== 'object') return '';
      const n = node as { text?: unknown; content?: unknown };
      return `${typeof n.text === 'string' ? n.text : ''}${Array.isArray(n.content) ? n.content.map(textOf).join(' ') : ''}`;
    };
    const squash = (s: string) => s.replace(/[*_`]/g, '').replace(/\s+/g, ' ').trim();
    let criteria = 0;
    for (const x of items) {
      const issue = h.fake.issues.find((i) => i.key === byItem.get(x.item.id))!;
      const description = squash(textOf(issue.fields.description));
      for (const c of x.item.acceptanceCriteria) {
        criteria++;
        assert.ok(description.includes(squash(c)), `${issue.key} (${x.item.id}) description holds the criterion "${c}"; it reads: ${description.slice(0, 300)}`);
      }
    }
    assert.ok(criteria > 0, 'the breakdown had acceptance criteria to check');
    assert.ok(h.fake.remoteLinks.some((l) => l.url.includes('1001')), 'a link back to the Confluence page');
    const deps = items.flatMap((x) => x.item.dependsOn.map((d) => [d, x.item.id]));
    assert.ok(deps.length > 0);
    assert.equal(h.fake.links.filter((l) => l.type === 'Blocks').length, deps.length, 'one Blocks link per dependency');
    h.fake.assertNoViolations();

    const audit = ((await (await h.admin(`/api/jobs/${jobId}/audit?limit=500`)).json()) as { entries: { action: string; actor: string }[] }).entries;
    const actions = audit.map((a) => a.action);
    for (const a of ['job.created', 'state.fetching', 'state.generating', 'state.awaiting_review', 'breakdown.edited', 'state.approved', 'state.creating', 'state.done']) {
      assert.ok(actions.includes(a), `audit has ${a}: ${actions.join(', ')}`);
    }
    assert.equal(audit.find((a) => a.action === 'state.approved')?.actor, 'reviewer-ann');
  });
});
