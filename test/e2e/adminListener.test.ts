import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/config.ts';
import { EnvSecretStore, MemorySecretStore } from '../../core/secrets/secretStore.ts';
import { startBackend, AdminBindError } from '../../core/server/backend.ts';
import { productParts } from '../../core/server/productParts.ts';
import { DrafterEngine } from '../../core/model/index.ts';
import { startHarness, type Harness } from './support/inProcess.ts';
import { parseSpec } from '../../core/spec/index.ts';
import { draftBreakdown } from '../../core/drafter/index.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import { raw } from './support/rawHttp.ts';

describe('admin listener: this machine, this launch only', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('a foreign Host header is refused (DNS rebinding) even with the right token', async () => {
    const port = new URL(h.backend.adminBaseUrl).port;
    const foreign = await raw(`${h.backend.adminBaseUrl}/api/jobs`, { headers: { host: `evil.example:${port}`, authorization: `Bearer ${h.backend.sessionToken}` } });
    assert.equal(foreign.status, 421);
    assert.equal(JSON.parse(foreign.body).code, 'host_not_allowed');
    const local = await raw(`${h.backend.adminBaseUrl}/api/jobs`, { headers: { host: `localhost:${port}`, authorization: `Bearer ${h.backend.sessionToken}` } });
    assert.equal(local.status, 200);
  });

  test('a missing or wrong session token is refused; the printed ?token= URL sets a cookie that then works', async () => {
    assert.equal((await fetch(`${h.backend.adminBaseUrl}/api/jobs`)).status, 401);
    const wrong = await fetch(`${h.backend.adminBaseUrl}/api/jobs`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { code: string }).code, 'session_required');
    assert.equal(h.backend.adminUrl, `${h.backend.adminBaseUrl}/?token=${h.backend.sessionToken}`);
    const first = await fetch(`${h.backend.adminBaseUrl}/api/session?token=${h.backend.sessionToken}`);
    assert.equal(first.status, 200);
    const cookie = first.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const withCookie = await fetch(`${h.backend.adminBaseUrl}/api/jobs`, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(withCookie.status, 200);
  });

  test('the admin listener refuses to bind anywhere but 127.0.0.1', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 's2t-bind-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const loaded = loadConfig({ cwd: dir, env: { SPEC2TICKETS_DATA_DIR: dir, SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_ADMIN_PORT: '0' } });
    await assert.rejects(
      startBackend({ loaded, secrets: new MemorySecretStore(), engine: new DrafterEngine(), parts: productParts(), adminHost: '0.0.0.0' }),
      (err: unknown) => err instanceof AdminBindError && /only binds to 127\.0\.0\.1/.test(err.message),
    );
  });

  test('settings: validated, secrets write-only (only { set: true } comes back), every change audited', async () => {
    const bad = await h.admin('/api/settings', { method: 'PUT', json: { jiraProjectKey: 'lower case', retentionDays: 0 } });
    assert.equal(bad.status, 400);
    assert.deepEqual(((await bad.json()) as { fields: string[] }).fields.sort(), ['jiraProjectKey', 'retentionDays']);
    const put = await h.admin('/api/settings', { method: 'PUT', json: { retentionDays: 14, secrets: { atlassianApiToken: 'brand-new-token-value' } } });
    assert.equal(put.status, 200);
    const view = await (await h.admin('/api/settings')).text();
    assert.ok(!view.includes('brand-new-token-value'), 'the secret is never returned');
    const parsed = JSON.parse(view) as { values: { retentionDays: number; jiraProjectKey: string }; sources: Record<string, string>; secrets: { atlassianApiToken: { set: boolean } }; pinned: string[] };
    assert.equal(parsed.values.retentionDays, 14);
    assert.equal(parsed.sources.retentionDays, 'settings');
    assert.equal(parsed.secrets.atlassianApiToken.set, true);
    assert.ok(parsed.pinned.includes('jiraProjectKey'), 'a value from the environment is shown as pinned');
    const audit = (await (await h.admin('/api/audit')).json()) as { audit: { action: string; details: Record<string, unknown> }[] };
    const change = audit.audit.filter((a) => a.action === 'settings.updated').at(-1);
    assert.deepEqual(change?.details, { changed: ['retentionDays'], secretsSet: ['atlassianApiToken'] });
    assert.ok(!JSON.stringify(audit).includes('brand-new-token-value'), 'the audit names the secret, never its value');
    // Put the working token back for the other tests.
    await h.admin('/api/settings', { method: 'PUT', json: { secrets: { atlassianApiToken: h.fake.apiToken } } });
  });

  test('with secrets only in the environment, saving a token says to set the variable', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 's2t-envsecrets-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const loaded = loadConfig({ cwd: dir, env: { SPEC2TICKETS_DATA_DIR: dir, SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_ADMIN_PORT: '0' } });
    const b = await startBackend({ loaded, secrets: new EnvSecretStore({}), engine: new DrafterEngine(), parts: productParts(), sessionToken: 'tkn' });
    t.after(() => b.close());
    const res = await fetch(`${b.adminBaseUrl}/api/settings`, {
      method: 'PUT',
      headers: { authorization: 'Bearer tkn', 'content-type': 'application/json' },
      body: JSON.stringify({ secrets: { atlassianApiToken: 'xyz-secret' } }),
    });
    assert.equal(res.status, 409);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'secrets_read_only');
    assert.match(body.message, /SPEC2TICKETS_ATLASSIAN_API_TOKEN/);
    assert.ok(!body.message.includes('xyz-secret'));
  });

  test('after generation the reviewer sees existing Jira issues that look like items, and records a decision', async () => {
    const page = loadCorpusPage('lastenheft-zahlungen').content;
    // A story whose title no epic shares (a user-story page names each feature epic after its story).
    const drafted = draftBreakdown(parseSpec(page, { format: 'storage', title: 'Zahlungen' }));
    const epicTitles = new Set(drafted.epics.map((e) => e.title));
    const story = drafted.epics.flatMap((e) => e.stories).find((s) => !epicTitles.has(s.title))!;
    assert.ok(story, 'the page drafts a story with a title of its own');
    const existing = h.fake.addIssue({ projectKey: 'PAY', summary: story.title });
    h.fake.addPage({ id: '8008', title: 'Zahlungen', storage: page });
    const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '8008', siteUrl: h.fake.url, requestedBy: 'dup' } })).json()) as { jobId: string };
    await h.poll(jobId, (j) => j.state === 'awaiting_review');
    type Detail = { duplicates: { searchedAt: string | null; candidates: { itemId: string; candidates: { key: string; score: number }[] }[] | null; decisions: { itemId: string; decision: string }[] } };
    let detail: Detail | undefined;
    for (let i = 0; i < 100; i++) {
      detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as Detail;
      if (detail.duplicates.searchedAt) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const forStory = detail?.duplicates.candidates?.find((c) => c.itemId === story.id);
    assert.ok(forStory?.candidates.some((c) => c.key === existing.key), JSON.stringify(detail?.duplicates));
    const decided = await h.admin(`/api/jobs/${jobId}/duplicates/${story.id}`, { method: 'PUT', json: { issueKey: existing.key, decision: 'skip', by: 'lead' } });
    assert.equal(decided.status, 200);
    const after = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as Detail;
    assert.deepEqual(after.duplicates.decisions.map((d) => [d.itemId, d.decision]), [[story.id, 'skip']]);
    const again = await h.admin(`/api/jobs/${jobId}/duplicates/search`, { json: {} });
    assert.equal(again.status, 200, 'the search can be re-run on demand');
    assert.equal((await h.admin(`/api/jobs/${jobId}/duplicates/S99.9`, { method: 'PUT', json: { issueKey: existing.key, decision: 'skip' } })).status, 404);

    // Approve: the skipped story is not created again; everything else is.
    const before = h.fake.issues.length;
    await h.admin(`/api/jobs/${jobId}/approve`, { json: { by: 'lead' } });
    const done = await h.poll(jobId, (j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    assert.ok(!done.issues.some((i) => i.itemId === story.id), 'no issue for the skipped item');
    assert.equal(h.fake.issues.length - before, done.issues.length);
    assert.equal(h.fake.issues.filter((i) => i.fields.summary === story.title).length, 1, 'only the existing issue carries that title');
  });

  test('the built renderer is served without data; a valid ?token= sets the session and leaves the URL; the API stays behind the token', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 's2t-renderer-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Spec2Tickets</title><div id="root"></div>');
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
    const loaded = loadConfig({ cwd: dir, env: { SPEC2TICKETS_DATA_DIR: dir, SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_ADMIN_PORT: '0' } });
    const b = await startBackend({ loaded, secrets: new MemorySecretStore(), engine: new DrafterEngine(), parts: productParts(), rendererDir: dist, sessionToken: 'tok' });
    t.after(() => b.close());
    // The page itself holds no data: it loads without a session and explains how to get one.
    const bare = await fetch(`${b.adminBaseUrl}/`);
    assert.equal(bare.status, 200);
    assert.equal(bare.headers.get('set-cookie'), null, 'no session without the token');
    assert.equal((await fetch(`${b.adminBaseUrl}/api/jobs`)).status, 401, 'no token, no data');
    const wrong = await fetch(`${b.adminBaseUrl}/?token=nope`, { redirect: 'manual' });
    assert.equal(wrong.status, 200);
    assert.equal(wrong.headers.get('set-cookie'), null, 'a wrong token sets nothing');
    // The printed URL: cookie set, token taken out of the address by a redirect.
    const first = await fetch(b.adminUrl, { redirect: 'manual' });
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/');
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    // The cookie's name carries the port: another service on 127.0.0.1 never sees a cookie of this name.
    assert.equal(cookie, `s2t_session_${new URL(b.adminBaseUrl).port}=tok`);
    const page = await fetch(`${b.adminBaseUrl}/`, { headers: { cookie } });
    assert.match(await page.text(), /<title>Spec2Tickets<\/title>/);
    assert.equal((await fetch(`${b.adminBaseUrl}/assets/app.js`)).status, 200);
    const route = await fetch(`${b.adminBaseUrl}/jobs/123`);
    assert.match(await route.text(), /id="root"/);
    assert.equal((await fetch(`${b.adminBaseUrl}/api/jobs`, { headers: { cookie } })).status, 200);
    const api = await fetch(`${b.adminBaseUrl}/api/nothing`, { headers: { cookie } });
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { code: string }).code, 'not_found');
    // Host allow-list still applies to the page.
    assert.equal((await raw(`${b.adminBaseUrl}/`, { headers: { host: 'evil.example' } })).status, 421);
  });

  test('approve only from review; jobs list filters by state; SSE streams model and job events', async () => {
    const events: string[] = [];
    const ac = new AbortController();
    const sse = await fetch(`${h.backend.adminBaseUrl}/api/events`, { headers: { authorization: `Bearer ${h.backend.sessionToken}` }, signal: ac.signal });
    assert.equal(sse.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = sse.body!.pipeThrough(new TextDecoderStream()).getReader();
    const reading = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          events.push(value);
        }
      } catch {
        // aborted at the end of the test
      }
    })();

    h.fake.addPage({ id: '7007', title: 'SSE page', storage: '<h1>Login</h1><p>The user must be able to log in with SSO.</p>' });
    const { jobId } = (await (await h.pub('/v1/jobs', { json: { pageId: '7007', siteUrl: h.fake.url, requestedBy: 'sse' } })).json()) as { jobId: string };
    await h.poll(jobId, (j) => j.state === 'awaiting_review');
    const early = await h.admin(`/api/jobs/${jobId}/retry`, { json: {} });
    assert.equal(early.status, 409, 'retry of a job in review is refused');
    const list = (await (await h.admin('/api/jobs?state=awaiting_review')).json()) as { jobs: { jobId: string; state: string }[] };
    assert.ok(list.jobs.some((j) => j.jobId === jobId));
    assert.ok(list.jobs.every((j) => j.state === 'awaiting_review'));
    assert.equal((await h.admin('/api/jobs?state=nonsense')).status, 400);
    const reject = await h.admin(`/api/jobs/${jobId}/reject`, { json: { by: 'lead', reason: 'not a spec' } });
    assert.equal(((await reject.json()) as { state: string }).state, 'rejected');
    const approveLate = await h.admin(`/api/jobs/${jobId}/approve`, { json: {} });
    assert.equal(approveLate.status, 409);
    assert.match(((await approveLate.json()) as { message: string }).message, /is rejected; it cannot move to approved/);

    const model = (await (await h.admin('/api/model')).json()) as { engine: string; status: { state: string }; actions: string[] };
    assert.equal(model.engine, 'drafter');
    assert.ok(model.actions.includes('catalogue'));
    const catalogue = (await (await h.admin('/api/model/catalogue', { json: {} })).json()) as { result: { id: string }[] };
    assert.ok(catalogue.result.some((m) => m.id === 'qwen2.5-7b'));
    assert.equal((await h.admin('/api/model/explode', { json: {} })).status, 404);

    await new Promise((r) => setTimeout(r, 100));
    ac.abort();
    await reading;
    const text = events.join('');
    assert.match(text, /event: model\ndata: \{"state":"absent"/);
    assert.match(text, new RegExp(`event: job\\ndata: \\{"jobId":"${jobId}"[^\\n]*"state":"awaiting_review"`));
    assert.match(text, new RegExp(`event: job\\ndata: \\{"jobId":"${jobId}"[^\\n]*"state":"rejected"`));
  });
});
