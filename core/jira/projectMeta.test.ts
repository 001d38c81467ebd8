import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readProjectMeta, resolveLevelMapping, storyPointsField } from './projectMeta.ts';
import { createJiraClient, checkJira } from './client.ts';
import type { JiraClient } from './client.ts';
import { AtlassianError } from '../atlassian/site.ts';
import { startFakeAtlassian } from '../../test/fakes/atlassian/server.ts';
import type { FakeAtlassian } from '../../test/fakes/atlassian/server.ts';

describe('Jira project metadata', () => {
  let fake: FakeAtlassian;
  let client: JiraClient;
  before(async () => {
    fake = await startFakeAtlassian();
    client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
  });
  after(async () => {
    await fake.close();
    fake.assertNoViolations();
  });

  test('a company-managed project maps Epic, Story and Sub-task and finds its Story Points field', async () => {
    const meta = await readProjectMeta(client, 'PAY');
    assert.equal(meta.teamManaged, false);
    const m = resolveLevelMapping(meta);
    const name = (id: string) => meta.issueTypes.find((t) => t.id === id)!.name;
    assert.deepEqual([name(m.epic), name(m.story), name(m.subtask)], ['Epic', 'Story', 'Sub-task']);
    const story = meta.issueTypes.find((t) => t.id === m.story)!;
    assert.equal(storyPointsField(story)?.fieldId, 'customfield_10016');
    assert.equal(story.fields!.get('summary')!.required, true);
    assert.deepEqual(story.fields!.get('priority')!.allowedValues, ['Highest', 'High', 'Medium', 'Low', 'Lowest']);
    assert.equal(fake.count(/createmeta\/PAY\/issuetypes\/\d+$/), 3, 'fields read only for the three mapped types');
  });

  test('a team-managed project prefers Story over Task and finds the Story point estimate field', async () => {
    const meta = await readProjectMeta(client, 'TEAM');
    assert.equal(meta.teamManaged, true);
    const m = resolveLevelMapping(meta);
    assert.equal(meta.issueTypes.find((t) => t.id === m.story)!.name, 'Story');
    assert.equal(meta.issueTypes.find((t) => t.id === m.subtask)!.name, 'Subtask');
    const story = meta.issueTypes.find((t) => t.id === m.story)!;
    assert.equal(storyPointsField(story)?.fieldId, 'customfield_10026');
    assert.equal(story.fields!.has('priority'), false);
  });

  test('overrides map a level to another type by name, and unknown names are explained', async () => {
    const meta = await readProjectMeta(client, 'TEAM', { overrides: { story: 'Task' } });
    assert.equal(resolveLevelMapping(meta, { story: 'Task' }).story, '10102');
    assert.throws(() => resolveLevelMapping(meta, { story: 'Feature' }), /Project TEAM has no issue type "Feature".*available: Epic, Task, Story, Subtask/);
  });

  test('a project without sub-tasks names the missing level and where to fix it', async () => {
    const meta = await readProjectMeta(client, 'OPS');
    assert.throws(() => resolveLevelMapping(meta), { message: 'Project OPS has no sub-task issue type (available: Epic, Task); set "Issue type for sub-tasks" in Settings (or SPEC2TICKETS_ISSUE_TYPE_SUBTASK) to another issue type of the project.' });
    assert.equal(resolveLevelMapping(meta, { subtask: 'Task' }).subtask, '10202');
    assert.equal(resolveLevelMapping(meta, { subtask: '10202' }).subtask, '10202', 'an id works as well as a name');
  });

  test('a mapping Jira could not build a hierarchy from is refused naming the setting to change', async () => {
    const meta = await readProjectMeta(client, 'PAY');
    assert.throws(() => resolveLevelMapping(meta, { story: 'Sub-task' }), /Stories cannot be created as "Sub-task" in PAY: .*"Issue type for stories" in Settings \(or SPEC2TICKETS_ISSUE_TYPE_STORY\)/);
    assert.throws(() => resolveLevelMapping(meta, { epic: 'Task' }), /Epics cannot be created as "Task" in PAY while stories are "Story".*"Issue type for epics"/);
    assert.throws(() => resolveLevelMapping(meta, { subtask: 'Epic' }), /Sub-tasks cannot be created as "Epic" in PAY.*"Issue type for sub-tasks"/);
    assert.throws(() => resolveLevelMapping(meta, { story: 'Chore' }), { message: 'Project PAY has no issue type "Chore" ("Issue type for stories" in Settings); available: Epic, Story, Task, Bug, Sub-task.' });
    assert.deepEqual(resolveLevelMapping(meta, { story: 'task' }), { epic: '10000', story: '10002', subtask: '10004' }, 'names match without regard to case');
  });

  test('an unknown project is a not_found error', async () => {
    const err = await readProjectMeta(client, 'NOPE').catch((e: unknown) => e);
    assert.ok(err instanceof AtlassianError);
    assert.equal(err.code, 'not_found');
  });

  test('the Jira health check names the account, and bad credentials fail clearly', async () => {
    const ok = await checkJira({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
    assert.equal(ok.ok, true);
    assert.equal(ok.accountId, 'acc-bot');
    const bad = await checkJira({ siteUrl: fake.url, email: fake.email, apiToken: 'nope-secret' });
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 'unauthorized');
    assert.doesNotMatch(bad.message, /nope-secret/);
  });
});
