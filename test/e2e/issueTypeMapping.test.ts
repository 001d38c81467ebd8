// The level → issue-type mapping from Settings: a project without a sub-task type fails with a
// message naming the setting and creates nothing; mapped to Task, the same job completes, the
// sub-tasks going under their story's epic and related to their story.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpusPage } from '../corpus/index.ts';
import { startHarness, type Harness } from './support/inProcess.ts';
import type { JobDetailResponse } from '../../core/server/admin.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import { addSubtasksAndDependency } from './support/reviewEdits.ts';
import { ENTITY_PROPERTY_KEY, jobLabel } from '../../core/jira/createIssues.ts';

describe('the issue type of each breakdown level is set in Settings', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.fake.addPage({ id: '801', title: 'Onboarding stories', storage: loadCorpusPage('user-stories-onboarding').content, version: 1 });
  });
  after(() => h.close());

  const waitFor = (jobId: string, states: string[]) => h.poll(jobId, (j) => states.includes(j.state), 20_000);

  test('OPS has no Sub-task type: creation fails naming the setting; mapped to Task it creates every item once', async () => {
    const res = await h.pub('/v1/jobs', { json: { pageId: '801', siteUrl: h.fake.url, requestedBy: 'acc-ops', projectKey: 'OPS' } });
    assert.equal(res.status, 202, await res.clone().text());
    const { jobId } = (await res.json()) as { jobId: string };
    await waitFor(jobId, ['awaiting_review', 'failed']);
    const detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    const breakdown = addSubtasksAndDependency(parseBreakdown(detail.breakdown.latest!.body));
    assert.equal((await h.admin(`/api/jobs/${jobId}/breakdown`, { method: 'PUT', json: { breakdown, author: 'reviewer' } })).status, 200);
    const flat = flattenBreakdown(breakdown);
    assert.ok(flat.some((x) => x.level === 'subtask'), 'sub-tasks, so the mapping matters');

    assert.equal((await h.admin(`/api/jobs/${jobId}/approve`, { json: {} })).status, 200);
    const failed = await waitFor(jobId, ['done', 'failed']);
    assert.equal(failed.state, 'failed');
    assert.match(failed.error?.message ?? '', /no sub-task issue type/);
    assert.match(failed.error?.message ?? '', /"Issue type for sub-tasks" in Settings \(or SPEC2TICKETS_ISSUE_TYPE_SUBTASK\)/);
    assert.equal(h.fake.issues.filter((i) => i.projectKey === 'OPS').length, 0, 'nothing was created');

    const unknown = await h.admin('/api/settings', { method: 'PUT', json: { issueTypeSubtask: 'Chore' } });
    assert.equal(unknown.status, 200, 'a name is saved as given; the project decides at creation whether it exists');
    assert.equal((await h.admin(`/api/jobs/${jobId}/retry`, { json: {} })).status, 200);
    const stillFailed = await waitFor(jobId, ['done', 'failed']);
    assert.match(stillFailed.error?.message ?? '', /Project OPS has no issue type "Chore" \("Issue type for sub-tasks" in Settings\); available: Epic, Task/);

    const put = await h.admin('/api/settings', { method: 'PUT', json: { issueTypeSubtask: 'Task' } });
    assert.equal(put.status, 200);
    const view = (await put.json()) as { values: Record<string, unknown>; sources: Record<string, string> };
    assert.equal(view.values.issueTypeSubtask, 'Task');
    assert.equal(view.sources.issueTypeSubtask, 'settings');

    assert.equal((await h.admin(`/api/jobs/${jobId}/retry`, { json: {} })).status, 200);
    const done = await waitFor(jobId, ['done', 'failed']);
    assert.equal(done.state, 'done', JSON.stringify(done.error));

    const ops = h.fake.issues.filter((i) => i.labels.includes(jobLabel(jobId)));
    assert.equal(ops.length, flat.length, 'one issue per item');
    const byItem = new Map(ops.map((i) => [(i.properties[ENTITY_PROPERTY_KEY] as { itemId: string }).itemId, i]));
    assert.equal(byItem.size, flat.length);
    const typeName = (typeId: string) => h.fake.projects.get('OPS')!.issueTypes.find((t) => t.id === typeId)!.name;
    for (const x of flat) {
      const issue = byItem.get(x.item.id)!;
      assert.equal(typeName(issue.issueTypeId), x.level === 'epic' ? 'Epic' : 'Task', `${x.level} ${x.item.id}`);
      if (x.level !== 'subtask') continue;
      const story = flat.find((s) => s.item.id === x.parentId)!;
      assert.equal(issue.parentKey, byItem.get(story.parentId!)!.key, 'a sub-task created as Task sits under its story\'s epic');
      const storyKey = byItem.get(story.item.id)!.key;
      const relates = h.fake.links.filter((l) => l.type === 'Relates' && [l.inwardKey, l.outwardKey].includes(issue.key) && [l.inwardKey, l.outwardKey].includes(storyKey));
      assert.equal(relates.length, 1, 'and is related to its story, once');
    }
    h.fake.assertNoViolations();
  });

  test('a mapping that breaks the hierarchy is refused with what to change', async () => {
    await h.admin('/api/settings', { method: 'PUT', json: { issueTypeSubtask: null, issueTypeStory: 'Sub-task' } });
    const res = await h.pub('/v1/jobs', { json: { pageId: '801', siteUrl: h.fake.url, requestedBy: 'acc-pay', projectKey: 'PAY' } });
    const { jobId } = (await res.json()) as { jobId: string };
    await waitFor(jobId, ['awaiting_review', 'failed']);
    const before = h.fake.issues.length;
    assert.equal((await h.admin(`/api/jobs/${jobId}/approve`, { json: {} })).status, 200);
    const failed = await waitFor(jobId, ['done', 'failed']);
    assert.equal(failed.state, 'failed');
    assert.match(failed.error?.message ?? '', /Stories cannot be created as "Sub-task" in PAY/);
    assert.match(failed.error?.message ?? '', /"Issue type for stories" in Settings/);
    assert.equal(h.fake.issues.length, before, 'nothing was created');
    await h.admin('/api/settings', { method: 'PUT', json: { issueTypeStory: null } });
  });
});
