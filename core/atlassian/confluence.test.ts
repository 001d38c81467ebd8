import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fetchConfluencePage, checkConfluence } from './confluence.ts';
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
});
