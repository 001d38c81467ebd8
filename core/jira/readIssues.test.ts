import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeAtlassian } from '../../test/fakes/atlassian/server.ts';
import { AtlassianError } from '../atlassian/site.ts';
import { createJiraClient } from './client.ts';
import { readIssues } from './readIssues.ts';

async function setup() {
  const fake = await startFakeAtlassian();
  const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken }, { retry: { maxAttempts: 1 } });
  return { fake, client };
}

test('one search per 100 keys returns the fields asked, by key; keys it cannot be asked about are left out', async (t) => {
  const { fake, client } = await setup();
  t.after(() => fake.close());
  const keys = Array.from({ length: 230 }, (_, i) => fake.addIssue({ projectKey: 'PAY', summary: `Issue ${i}` }).key);
  const { issues, failed } = await readIssues(client, [...keys, 'PAY-9999', 'not a key) OR (project = OPS'], { fields: ['summary', 'updated'] });
  assert.equal(fake.count(/\/search\/jql$/, 'POST'), 3, '230 keys (and two that name no issue): 3 searches');
  assert.equal(issues.size, 230);
  assert.deepEqual(Object.keys(issues.get(keys[229]!)!).sort(), ['summary', 'updated']);
  assert.equal(issues.get(keys[229]!)!.summary, 'Issue 229');
  assert.deepEqual(failed, []);
  fake.assertNoViolations();
});

test('just-created issues the index does not show yet: the 50 newest ids reconciled with each search, the rest in one more search per 50', async (t) => {
  const { fake, client } = await setup();
  t.after(() => fake.close());
  fake.setSearchLag(600_000);
  const refs = Array.from({ length: 130 }, (_, i) => fake.addIssue({ projectKey: 'PAY', summary: `New ${i}` })).map((i) => ({ key: i.key, id: i.id }));
  // Given newest first: read oldest first, so each search reconciles its newest.
  const { issues } = await readIssues(client, [...refs].reverse(), { fields: ['updated'], reconcile: true });
  assert.equal(issues.size, 130);
  // 100 + 30 keys, 50 + 30 of them reconciled; the 50 left out of the first search in one more.
  assert.equal(fake.count(/\/search\/jql$/, 'POST'), 3);
  const unreconciled = await readIssues(client, refs, { fields: ['updated'] });
  assert.equal(unreconciled.issues.size, 0, 'without reconciling, the lagging index shows none of them');
  fake.assertNoViolations();
});

test('a search Jira refuses stops the read, or with onSearchError "collect" is noted (how many keys, why) and the rest is read', async (t) => {
  const { fake, client } = await setup();
  t.after(() => fake.close());
  const keys = Array.from({ length: 150 }, (_, i) => fake.addIssue({ projectKey: 'PAY', summary: `Issue ${i}` }).key);
  fake.failNext(/\/search\/jql$/, { status: 400 });
  await assert.rejects(readIssues(client, keys, { fields: ['updated'] }), (e: unknown) => e instanceof AtlassianError && e.code === 'bad_request');
  fake.failNext(/\/search\/jql$/, { status: 400 });
  const { issues, failed } = await readIssues(client, keys, { fields: ['updated'], onSearchError: 'collect' });
  assert.equal(issues.size, 50, 'the second search still read');
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.count, 100);
  assert.match(failed[0]!.message, /reading 100 issues from Jira/);
});
