import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fetchConfluencePage, checkConfluence, UserNameCache } from './confluence.ts';
import { parseSpec } from '../spec/index.ts';
import { AtlassianError } from './site.ts';
import type { AtlassianSite } from './site.ts';
import { startFakeAtlassian } from '../../test/fakes/atlassian/server.ts';
import type { FakeAtlassian } from '../../test/fakes/atlassian/server.ts';

describe('Confluence page read', () => {
  let fake: FakeAtlassian;
  let site: AtlassianSite;
  before(async () => {
    fake = await startFakeAtlassian();
    site = { siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken };
    fake.addPage({ id: '4242', title: 'Payments spec', storage: '<h1>Refunds</h1><p>FR-001 The system must refund.</p>' });
    fake.addPage({ id: '4242', title: 'Payments spec', storage: '<h1>Refunds</h1><p>FR-001 The system must refund within 5 days.</p>' });
  });
  after(async () => {
    fake.assertNoViolations();
    await fake.close();
  });

  test('reads the current version of a page in storage format with its web link', async () => {
    const page = await fetchConfluencePage(site, '4242');
    assert.equal(page.pageId, '4242');
    assert.equal(page.title, 'Payments spec');
    assert.equal(page.version, 2);
    assert.match(page.storage, /within 5 days/);
    assert.equal(page.webUrl, `${fake.url}/wiki/spaces/SPEC/pages/4242/Payments+spec`);
    const last = fake.requests.at(-1)!;
    assert.equal(last.path, '/wiki/api/v2/pages/4242');
    assert.match(last.query, /body-format=storage/);
  });

  test('reads an older version when asked for it', async () => {
    const page = await fetchConfluencePage(site, '4242', { version: 1 });
    assert.equal(page.version, 1);
    assert.doesNotMatch(page.storage, /within 5 days/);
  });

  test('wrong credentials give an unauthorized error that names the account but never the token', async () => {
    const bad = { ...site, apiToken: 'wrong-secret-token' };
    const err = await fetchConfluencePage(bad, '4242').catch((e: unknown) => e);
    assert.ok(err instanceof AtlassianError);
    assert.equal(err.code, 'unauthorized');
    assert.equal(err.status, 401);
    assert.match(err.message, /credentials for bot@example\.com/);
    assert.match(err.message, /API token in Settings/);
    assert.doesNotMatch(err.message, /wrong-secret-token/);
    assert.doesNotMatch(JSON.stringify(err), /wrong-secret-token/);
  });

  test('a forbidden page says the account lacks permission', async () => {
    fake.failNext(/\/pages\/4242$/, { status: 403 });
    const err = await fetchConfluencePage(site, '4242').catch((e: unknown) => e);
    assert.ok(err instanceof AtlassianError);
    assert.equal(err.code, 'forbidden');
    assert.match(err.message, /bot@example\.com is not allowed to read Confluence page 4242/);
  });

  test('a missing page is a not_found error naming the page', async () => {
    const err = await fetchConfluencePage(site, '999').catch((e: unknown) => e);
    assert.ok(err instanceof AtlassianError);
    assert.equal(err.code, 'not_found');
    assert.match(err.message, /read Confluence page 999/);
  });

  test('a page id that is not a number is refused before any request', async () => {
    const before = fake.requests.length;
    const err = await fetchConfluencePage(site, '../admin').catch((e: unknown) => e);
    assert.ok(err instanceof AtlassianError);
    assert.equal(err.code, 'bad_request');
    assert.equal(fake.requests.length, before);
  });

  test('a page read that hangs times out with a clear message and is retried as a safe read', async () => {
    fake.hangNext(/\/pages\/4242$/, { times: 2 });
    const started = Date.now();
    const err = await fetchConfluencePage(site, '4242', { timeoutMs: 150, retry: { maxAttempts: 2, baseDelayMs: 10 } }).catch((e: unknown) => e);
    assert.ok(err instanceof AtlassianError);
    assert.equal(err.code, 'timeout');
    assert.match(err.message, /No answer from 127\.0\.0\.1:\d+ within .* while trying to read Confluence page 4242/);
    assert.ok(Date.now() - started < 3000);
  });

  test('a 503 on a page read is retried and then succeeds', async () => {
    fake.failNext(/\/pages\/4242$/, { status: 503 });
    const page = await fetchConfluencePage(site, '4242', { retry: { baseDelayMs: 5 } });
    assert.equal(page.version, 2);
  });

  test('health check reports ok with good credentials and a clear failure with bad ones', async () => {
    const ok = await checkConfluence(site);
    assert.equal(ok.ok, true);
    const bad = await checkConfluence({ ...site, email: 'someone@example.com' });
    assert.equal(bad.ok, false);
    assert.equal(bad.code, 'unauthorized');
  });

  test('mentions are read with the display names Confluence knows, looked up once per person and cached', async () => {
    fake.addUser({ accountId: '70121:aa3f', displayName: 'Dana Whitfield' });
    fake.addUser({ accountId: '5b10ac8d82e05b22cc7d4ef5', displayName: 'Priya Raman' });
    fake.addPage({
      id: '5151',
      title: 'Weekly sync',
      storage:
        '<h2>Action items</h2><ac:task-list><ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body><ac:link><ri:user ri:account-id="70121:aa3f" /></ac:link> to send the proposal</ac:task-body></ac:task></ac:task-list>' +
        '<p>Owner: <ac:link><ri:user ri:account-id="5b10ac8d82e05b22cc7d4ef5"></ri:user></ac:link>, reviewer <ac:link><ri:user ri:account-id="gone-1" /></ac:link>, and <ac:link><ri:user ri:account-id="70121:aa3f" /><ac:plain-text-link-body><![CDATA[Dana W.]]></ac:plain-text-link-body></ac:link>.</p>',
    });
    const userNames = new UserNameCache();
    const before = fake.count(/users-bulk$/, 'POST');
    const page = await fetchConfluencePage(site, '5151', { userNames });
    assert.equal(fake.count(/users-bulk$/, 'POST') - before, 1, 'one lookup for all the people on the page');
    assert.deepEqual(page.unresolvedMentions, ['gone-1']);
    const doc = parseSpec(page.storage, { title: page.title });
    assert.deepEqual(
      doc.blocks.map((b) => b.text),
      ['@Dana Whitfield to send the proposal', 'Owner: @Priya Raman, reviewer @user, and @Dana W..'],
      'a mention with its own text keeps it; an unknown person stays "@user"',
    );
    await fetchConfluencePage(site, '5151', { userNames });
    assert.equal(fake.count(/users-bulk$/, 'POST') - before, 1, 'the second read answers from the cache, unknown ids included');
  });

  test('a bare mention (older pages, macro parameters) is named too; one inside a named link is left alone', async () => {
    fake.addUser({ accountId: 'older-7', displayName: 'Sam Ortiz' });
    fake.addPage({
      id: '5152',
      title: 'Older page',
      storage:
        '<p>Owner: <ri:user ri:account-id="older-7" />, approver <ri:user ri:account-id="older-7"></ri:user>, unknown <ri:user ri:account-id="gone-2" />.</p>' +
        '<p>Contact <ac:link><ri:user ri:account-id="older-7" /><ac:plain-text-link-body><![CDATA[Sam]]></ac:plain-text-link-body></ac:link>.</p>',
    });
    const page = await fetchConfluencePage(site, '5152', { userNames: new UserNameCache() });
    assert.deepEqual(page.unresolvedMentions, ['gone-2']);
    const doc = parseSpec(page.storage, { title: page.title });
    assert.deepEqual(
      doc.blocks.map((b) => b.text),
      ['Owner: @Sam Ortiz, approver @Sam Ortiz, unknown @user.', 'Contact @Sam.'],
    );
  });

  test('a site that refuses the users lookup still gives the page, with the mentions unnamed', async () => {
    fake.failNext(/users-bulk$/, { status: 404 });
    const page = await fetchConfluencePage(site, '5151', { userNames: new UserNameCache() });
    assert.deepEqual(page.unresolvedMentions, ['70121:aa3f', '5b10ac8d82e05b22cc7d4ef5', 'gone-1']);
    assert.doesNotMatch(page.storage, /Dana Whitfield|Priya Raman/);
  });

  test('cached names expire', () => {
    let now = 0;
    const cache = new UserNameCache(1000, 10, () => now);
    cache.set('https://x', 'a', 'Ann');
    assert.equal(cache.get('https://x', 'a'), 'Ann');
    assert.equal(cache.get('https://y', 'a'), undefined, 'names are per site');
    now = 2000;
    assert.equal(cache.get('https://x', 'a'), undefined);
  });
});
