// The Forge app's resolvers, run for real through @forge/resolver's handler (as Forge invokes
// them) with Forge storage, Confluence-as-the-user and the manifest's egress list behind the
// runtime globals, against the real backend (published as https://s2t.acme.test, as a reverse
// proxy would) with the fake Atlassian site and the rule-based drafter.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { installForgeRuntime, invoker, type ForgeRuntimeStandIn } from './support/forgeRuntime.ts';
import { startHarness, type Harness } from '../e2e/support/inProcess.ts';
import { loadCorpusPage } from '../corpus/index.ts';
import { macroHandler, settingsHandler } from '../../forge/src/index.ts';
import { settingsResolver } from '../../forge/src/resolvers/settingsResolver.ts';
import { confluenceAsUser } from '../../forge/src/confluence/confluence.ts';
import type { Failure, HealthSummary } from '../../forge/src/resolvers/definitions.ts';
import type { SettingsView } from '../../forge/src/settings/settingsStore.ts';
import type { MacroJobView } from '../../forge/src/macro/macroJobView.ts';

type SettingsAnswer = { ok: true; settings: SettingsView } | Failure;
type TestAnswer = { ok: true; message: string; health: HealthSummary } | Failure;
type RequestAnswer = { ok: true; jobId: string; created: boolean; state: string } | Failure;
type StatusAnswer = { ok: true; job: MacroJobView | null; jiraProjectKey: string | null } | Failure;

const ADMIN = 'admin-account-1';
const READER = 'reader-account-7';
const VIEWER = 'viewer-account-9';
const BACKEND = 'https://s2t.acme.test';

function expectOk<T extends { ok: boolean }>(x: T): Extract<T, { ok: true }> {
  assert.equal(x.ok, true, JSON.stringify(x));
  return x as Extract<T, { ok: true }>;
}
const english = (JSON.parse(readFileSync(new URL('../../forge/locales/en-US.json', import.meta.url), 'utf8')) as { errors: Record<string, string> }).errors;

function expectFailure(x: { ok: boolean }): Failure {
  assert.equal(x.ok, false, JSON.stringify(x));
  const f = x as Failure;
  // A failure the UI translates by its code says in English exactly what the English translation says.
  if (f.code in english) assert.equal(english[f.code], f.message, `locales/en-US.json errors.${f.code}`);
  return f;
}

/** A port that refuses connections: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('Forge app against the real backend', () => {
  let h: Harness;
  let rt: ForgeRuntimeStandIn;
  let silent: Server;
  let backendPort: number;
  const settings = (who = ADMIN) => invoker(settingsHandler, { moduleKey: 'spec2tickets-settings', localId: 'settings' }, who);
  const macro = (pageId: string, who = READER) =>
    invoker(macroHandler, { moduleKey: 'spec2tickets-macro', localId: `macro-${pageId}`, siteUrl: h.fake.url, extension: { type: 'macro', content: { id: pageId, type: 'page' } } }, who);
  /** A page as Confluence shows it to the app: its version and who may edit it (everyone may read). */
  const confluencePage = (id: string, version: number, editors: string[] = [READER]) => rt.confluence.pages.set(id, { version, editors: new Set(editors), readers: null });

  before(async () => {
    rt = installForgeRuntime();
    // The tests poll every 50 ms, far faster than a macro does; the backend's per-key limit (120 a
    // minute, bursts of 30) is not what they check.
    h = await startHarness({ env: { SPEC2TICKETS_RATE_LIMIT_PER_MINUTE: '100000', SPEC2TICKETS_RATE_LIMIT_BURST: '10000' } });
    backendPort = Number(new URL(h.backend.publicUrl).port);
    rt.publish('s2t.acme.test', backendPort);
    rt.egress = [BACKEND, 'https://down.acme.test', 'https://hangs.acme.test'];
    rt.confluence.admins.add(ADMIN);
    // Accepts connections and never answers: a backend that hangs.
    silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    rt.publish('hangs.acme.test', (silent.address() as AddressInfo).port);
    rt.publish('down.acme.test', await closedPort());
  });
  after(async () => {
    assert.deepEqual(rt.confluenceViolations, [], 'the Confluence calls and the stand-in’s answers follow Atlassian’s OpenAPI document');
    silent.close();
    await h.close();
    rt.uninstall();
  });

  test('before the admin saves anything, the macro says the app is not connected yet', async () => {
    const res = expectFailure(await macro('1001')<RequestAnswer>('requestBreakdown', {}));
    assert.equal(res.code, 'not_configured');
    assert.match(res.message, /admin page/);
    const view = expectOk(await settings()<SettingsAnswer>('getSettings'));
    assert.deepEqual(view.settings, { backendUrl: null, jiraProjectKey: null, apiKeySet: false, updatedAt: null });
  });

  test('settings that are not safe or not well-formed are refused field by field, and nothing is stored', async () => {
    const res = expectFailure(await settings()<SettingsAnswer>('saveSettings', { backendUrl: 'http://spec2tickets.acme.example', jiraProjectKey: 'pay-1', apiKey: 'hunter2' }));
    assert.deepEqual(res.problems?.map((p) => p.field).sort(), ['apiKey', 'backendUrl', 'jiraProjectKey']);
    assert.match(res.message, /https:\/\//);
    assert.ok(!res.message.includes('hunter2'), 'the rejected key is not echoed');
    for (const local of ['http://127.0.0.1:8080', 'https://127.0.0.1:8443', 'https://localhost', 'https://10.1.2.3', 'https://s2t.corp.internal']) {
      const refused = expectFailure(await settings()<SettingsAnswer>('saveSettings', { backendUrl: local, jiraProjectKey: 'PAY', apiKey: h.apiKey }));
      assert.deepEqual(refused.problems?.map((p) => p.field), ['backendUrl'], local);
      assert.match(refused.message, local.startsWith('http:') ? /https:\/\// : /Atlassian's cloud, which cannot reach/, local);
    }
    assert.equal(rt.values.size + rt.secrets.size, 0);
  });

  test('only a Confluence admin can read, save or test the settings, checked with Confluence as that user', async () => {
    const calls = rt.confluenceCalls.length;
    for (const [fn, payload] of [['getSettings', undefined], ['saveSettings', { backendUrl: BACKEND, jiraProjectKey: 'PAY', apiKey: h.apiKey }], ['testConnection', { backendUrl: BACKEND, apiKey: h.apiKey }]] as const) {
      const res = expectFailure(await settings(READER)<SettingsAnswer>(fn, payload));
      assert.equal(res.code, 'not_admin', fn);
      assert.match(res.message, /Only Confluence administrators/);
    }
    assert.equal(rt.values.size + rt.secrets.size, 0, 'nothing was stored');
    const asked = rt.confluenceCalls.slice(calls);
    assert.ok(asked.length >= 3 && asked.every((c) => c.accountId === READER && c.path.startsWith('/wiki/rest/api/user/current')), JSON.stringify(asked));
  });

  test('a backend host that is not in the deployed manifest is refused with how to add it', async () => {
    const res = expectFailure(await settings()<SettingsAnswer>('saveSettings', { backendUrl: 'https://other.acme.test', jiraProjectKey: 'PAY', apiKey: h.apiKey }));
    assert.equal(res.code, 'egress_not_allowed');
    assert.match(res.message, /other\.acme\.test: the host is not in its manifest/);
    assert.match(res.message, /npm run forge:configure -- --backend https:\/\/other\.acme\.test/);
    assert.equal(rt.values.size + rt.secrets.size, 0);
  });

  test('saving settings stores the API key as a secret and never returns it', async () => {
    const res = expectOk(await settings()<SettingsAnswer>('saveSettings', { backendUrl: BACKEND + '/', jiraProjectKey: ' pay ', apiKey: h.apiKey }));
    assert.equal(res.settings.backendUrl, BACKEND, 'trailing slash dropped');
    assert.equal(res.settings.jiraProjectKey, 'PAY');
    assert.equal(res.settings.apiKeySet, true);
    assert.ok(!JSON.stringify(res).includes(h.apiKey), 'the key is not in the answer');
    const read = expectOk(await settings()<SettingsAnswer>('getSettings'));
    assert.ok(!JSON.stringify(read).includes(h.apiKey), 'the key is not readable back');
    assert.deepEqual([...rt.secrets.values()], [h.apiKey], 'the key is in secret storage');
    assert.ok(![...rt.values.values()].some((v) => JSON.stringify(v).includes(h.apiKey)), 'the key is not in plain storage');
    assert.ok(rt.calls.some((c) => c.path === '/api/v1/secret/set'));
    // Saving again with an empty key field keeps the saved key.
    const again = expectOk(await settings()<SettingsAnswer>('saveSettings', { backendUrl: BACKEND, jiraProjectKey: 'PAY', apiKey: '' }));
    assert.equal(again.settings.apiKeySet, true);
    assert.deepEqual([...rt.secrets.values()], [h.apiKey]);
  });

  test('Test connection with the saved settings reports the backend version and a healthy site', async () => {
    const res = expectOk(await settings()<TestAnswer>('testConnection', {}));
    assert.match(res.message, /^Connected to Spec2Tickets \S+\. The API key was accepted/);
    assert.equal(res.health.jira.ok, true, res.health.jira.message);
    assert.equal(res.health.confluence.ok, true, res.health.confluence.message);
  });

  test('Test connection with a wrong key explains that the backend refused it (401)', async () => {
    const wrong = 's2t_' + 'A'.repeat(43);
    const res = expectFailure(await settings()<TestAnswer>('testConnection', { apiKey: wrong }));
    assert.equal(res.code, 'unauthorized');
    assert.match(res.message, /refused the API key \(HTTP 401\)/);
    assert.match(res.message, /API keys/);
    assert.ok(!res.message.includes(wrong) && !res.message.includes(h.apiKey), 'no key in the message');
  });

  test('Test connection with a changed URL needs the key typed again: the saved key never goes to an unsaved address', async () => {
    let reached = 0;
    const counting = createServer((socket) => {
      reached++;
      socket.destroy();
    });
    await new Promise<void>((r) => counting.listen(0, '127.0.0.1', r));
    rt.publish('down.acme.test', (counting.address() as AddressInfo).port);
    try {
      const res = expectFailure(await settings()<TestAnswer>('testConnection', { backendUrl: 'https://down.acme.test' }));
      assert.equal(res.code, 'key_required');
      assert.deepEqual(res.problems?.map((p) => p.field), ['apiKey']);
      const save = expectFailure(await settings()<SettingsAnswer>('saveSettings', { backendUrl: 'https://down.acme.test', jiraProjectKey: 'PAY', apiKey: '' }));
      assert.equal(save.code, 'key_required', 'saving a new address also needs the key again');
      assert.equal(reached, 0, 'nothing was sent to the new address');
    } finally {
      counting.close();
      rt.publish('down.acme.test', await closedPort());
    }
  });

  test('Test connection to a backend that is down says it cannot be reached', async () => {
    const res = expectFailure(await settings()<TestAnswer>('testConnection', { backendUrl: 'https://down.acme.test', apiKey: h.apiKey }));
    assert.equal(res.code, 'unreachable');
    assert.match(res.message, /Cannot reach the Spec2Tickets backend at down\.acme\.test: the connection was refused/);
    assert.match(res.message, /external fetch permission/);
    assert.ok(!res.message.includes(h.apiKey));
  });

  test('Test connection to a backend that hangs gives up with a timeout message', async () => {
    const quick = invoker(
      settingsResolver({ kvs: (await import('@forge/kvs')).kvs, fetch: (u, i) => fetch(u, i), confluence: confluenceAsUser(), canFetchFrom: () => true, healthTimeoutMs: 300 }),
      {},
      ADMIN,
    );
    const started = Date.now();
    const res = expectFailure(await quick<TestAnswer>('testConnection', { backendUrl: 'https://hangs.acme.test', apiKey: h.apiKey }));
    assert.equal(res.code, 'timeout');
    assert.match(res.message, /did not answer within 0\.3 s/);
    assert.ok(Date.now() - started < 5000, 'the timeout is honoured');
  });

  test('a breakdown requested from the macro returns a job id at once, reaches review, and after approval lists the created issues with links', async () => {
    const { content } = loadCorpusPage('prd-checkout');
    h.fake.addPage({ id: '1001', title: 'Checkout PRD', storage: content, version: 3 });
    confluencePage('1001', 3);
    const onPage = macro('1001');

    const none = expectOk(await onPage<StatusAnswer>('getJobStatus', {}));
    assert.equal(none.job, null, 'nothing requested yet on this macro');

    const started = Date.now();
    // A version sent by the browser is not believed: the resolver asks Confluence.
    const req = expectOk(await onPage<RequestAnswer>('requestBreakdown', { pageVersion: 1 }));
    assert.ok(Date.now() - started < 5000, 'answers at once, far inside the 25 s Forge limit');
    assert.match(req.jobId, /\S/);
    assert.equal(req.created, true);

    const again = expectOk(await onPage<RequestAnswer>('requestBreakdown', {}));
    assert.equal(again.jobId, req.jobId, 'clicking twice does not start a second job');
    assert.equal(again.created, false);

    const poll = async (until: (j: MacroJobView) => boolean): Promise<MacroJobView> => {
      const end = Date.now() + 15_000;
      let last: StatusAnswer | undefined;
      while (Date.now() < end) {
        // No job id: the macro finds the job it requested last.
        last = await onPage<StatusAnswer>('getJobStatus', {});
        const ok = expectOk(last);
        if (ok.job && until(ok.job)) return ok.job;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`job did not get there in 15 s; last: ${JSON.stringify(last)}`);
    };

    const review = await poll((j) => j.state === 'awaiting_review' || j.state === 'failed');
    assert.equal(review.state, 'awaiting_review', review.error ?? '');
    assert.equal(review.jobId, req.jobId);
    assert.equal(review.label, 'Waiting for review');
    assert.ok(review.counts && review.counts.epics > 0 && review.counts.stories > 0);
    assert.match(review.summary, /^Draft ready \(\d+ epics?, \d+ stor(y|ies), \d+ sub-tasks?\)\. A reviewer approves it/);
    assert.equal(review.pollAfterMs, 10_000, 'slower polling while a person reviews');
    const status = expectOk(await onPage<StatusAnswer>('getJobStatus', { jobId: req.jobId }));
    assert.equal(status.jiraProjectKey, 'PAY');

    const approve = await h.admin(`/api/jobs/${req.jobId}/approve`, { json: { by: 'reviewer-ann' } });
    assert.equal(approve.status, 200, await approve.clone().text());

    const done = await poll((j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', done.error ?? '');
    assert.equal(done.pollAfterMs, null, 'polling stops once done');
    assert.equal(done.fraction, 1);
    assert.equal(done.issues.length, h.fake.issues.length);
    assert.ok(done.issues.length > 0);
    for (const issue of done.issues) {
      assert.ok(h.fake.issues.some((i) => i.key === issue.key), `${issue.key} exists in Jira`);
      assert.equal(issue.url, `${h.fake.url}/browse/${issue.key}`);
    }
    assert.equal(done.summary, `Created ${done.issues.length} Jira issues.`);
    const job = (await (await h.pub(`/v1/jobs/${req.jobId}`)).json()) as { requestedBy: string; pageVersion: number | null };
    assert.equal(job.requestedBy, READER, 'the requester is the Confluence user who clicked');
    assert.equal(job.pageVersion, 3, 'the version Confluence reports, not the one the browser sent');
    assert.equal(done.pageChanged, null);
    assert.equal(done.canRequest, true);

    // The page moves on: the macro says so and offers a new breakdown.
    confluencePage('1001', 5);
    const changed = expectOk(await onPage<StatusAnswer>('getJobStatus', {})).job!;
    assert.deepEqual(changed.pageChanged, { from: 3, to: 5 });

    // The backend becomes unreachable for a while: polls fail with a message, then recover.
    rt.publish('s2t.acme.test', await closedPort());
    const failed = expectFailure(await onPage<StatusAnswer>('getJobStatus', {}));
    assert.equal(failed.code, 'unreachable');
    assert.match(failed.message, /Cannot reach the Spec2Tickets backend at s2t\.acme\.test/);
    rt.publish('s2t.acme.test', backendPort);
    const recovered = expectOk(await onPage<StatusAnswer>('getJobStatus', {}));
    assert.equal(recovered.job?.jobId, req.jobId);
    assert.equal(recovered.job?.state, 'done');
  });

  test('the Jira project saved on the admin page reaches the backend with the request, and the issues are created there', async () => {
    expectOk(await settings()<SettingsAnswer>('saveSettings', { backendUrl: BACKEND, jiraProjectKey: 'TEAM', apiKey: '' }));
    try {
      const { content } = loadCorpusPage('user-stories-onboarding');
      h.fake.addPage({ id: '4004', title: 'Onboarding for TEAM', storage: content, version: 1 });
      confluencePage('4004', 1);
      const onPage = macro('4004');
      const req = expectOk(await onPage<RequestAnswer>('requestBreakdown', {}));
      const sent = (await (await h.pub(`/v1/jobs/${req.jobId}`)).json()) as { projectKey: string | null };
      assert.equal(sent.projectKey, 'TEAM', 'the job carries the project chosen on the admin page');
      await h.poll(req.jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
      const before = h.fake.issues.length;
      const approve = await h.admin(`/api/jobs/${req.jobId}/approve`, { json: { by: 'reviewer-ann' } });
      assert.equal(approve.status, 200, await approve.clone().text());
      const done = await h.poll(req.jobId, (j) => j.state === 'done' || j.state === 'failed');
      assert.equal(done.state, 'done', JSON.stringify(done.error));
      const created = h.fake.issues.slice(before);
      assert.ok(created.length > 0);
      assert.deepEqual([...new Set(created.map((i) => i.projectKey))], ['TEAM'], 'not the backend default PAY');
      const status = expectOk(await onPage<StatusAnswer>('getJobStatus', {}));
      assert.equal(status.jiraProjectKey, 'TEAM');
      assert.ok(status.job?.issues.every((i) => i.key.startsWith('TEAM-')));
      h.fake.assertNoViolations();
    } finally {
      expectOk(await settings()<SettingsAnswer>('saveSettings', { backendUrl: BACKEND, jiraProjectKey: 'PAY', apiKey: '' }));
    }
  });

  test('a macro cannot read the status of a job that belongs to another page', async () => {
    const { content } = loadCorpusPage('user-stories-onboarding');
    h.fake.addPage({ id: '2002', title: 'Onboarding', storage: content, version: 1 });
    confluencePage('2002', 1);
    const req = expectOk(await macro('2002')<RequestAnswer>('requestBreakdown', {}));
    const res = expectFailure(await macro('3003')<StatusAnswer>('getJobStatus', { jobId: req.jobId }));
    assert.equal(res.code, 'job_not_for_this_page');
  });

  test('a page that does not exist ends as a failed job with a readable reason', async () => {
    // Confluence shows the macro's page, but the backend's service account cannot find it.
    confluencePage('9999999', 1);
    const onPage = macro('9999999');
    expectOk(await onPage<RequestAnswer>('requestBreakdown', {}));
    const end = Date.now() + 15_000;
    let job: MacroJobView | null = null;
    while (Date.now() < end) {
      job = expectOk(await onPage<StatusAnswer>('getJobStatus', {})).job;
      if (job && (job.state === 'failed' || job.state === 'awaiting_review')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(job);
    assert.equal(job.state, 'failed');
    assert.equal(job.tone, 'failure');
    assert.ok(job.error && job.error.length > 10, 'the backend gave a reason');
    assert.match(job.error, /9999999|not found|does not exist/i);
    assert.match(job.summary, /^The job failed: /);
    assert.equal(job.pollAfterMs, null);
  });

  test('only someone who can edit the page may request a breakdown; the check is Confluence’s, as that user', async () => {
    const { content } = loadCorpusPage('user-stories-onboarding');
    h.fake.addPage({ id: '5005', title: 'Read-only for the viewer', storage: content, version: 2 });
    confluencePage('5005', 2, [READER]);
    const calls = rt.confluenceCalls.length;
    const refused = expectFailure(await macro('5005', VIEWER)<RequestAnswer>('requestBreakdown', {}));
    assert.equal(refused.code, 'not_allowed');
    assert.match(refused.message, /Only people who can edit this page/);
    assert.ok(rt.confluenceCalls.slice(calls).some((c) => c.path === '/wiki/api/v2/pages/5005/operations' && c.accountId === VIEWER));
    assert.equal(expectOk(await macro('5005', VIEWER)<StatusAnswer>('getJobStatus', {})).job, null, 'no job was started');

    rt.confluence.pages.set('5006', { version: 1, editors: new Set([READER]), readers: new Set([READER]) });
    const hidden = expectFailure(await macro('5006', VIEWER)<RequestAnswer>('requestBreakdown', {}));
    assert.equal(hidden.code, 'page_not_visible');

    // The editor of the same page may; the viewer then sees the job but is not offered a new one.
    const req = expectOk(await macro('5005', READER)<RequestAnswer>('requestBreakdown', {}));
    const seen = expectOk(await macro('5005', VIEWER)<StatusAnswer>('getJobStatus', { jobId: req.jobId })).job!;
    assert.equal(seen.jobId, req.jobId);
    assert.equal(seen.canRequest, false);
  });

  test('a user who has not yet allowed the app to act as them gets Forge’s consent prompt, not an error message', async () => {
    const { content } = loadCorpusPage('user-stories-onboarding');
    h.fake.addPage({ id: '7007', title: 'Consent', storage: content, version: 1 });
    confluencePage('7007', 1, ['new-user-3']);
    rt.confluence.notConsented.add('new-user-3');
    try {
      await assert.rejects(macro('7007', 'new-user-3')<RequestAnswer>('requestBreakdown', {}), (err: Error) => err.name === 'NEEDS_AUTHENTICATION_ERR');
    } finally {
      rt.confluence.notConsented.delete('new-user-3');
    }
    expectOk(await macro('7007', 'new-user-3')<RequestAnswer>('requestBreakdown', {}));
  });

  test('a rejected breakdown shows the reviewer’s reason on the macro', async () => {
    const { content } = loadCorpusPage('user-stories-onboarding');
    h.fake.addPage({ id: '6006', title: 'To be rejected', storage: content, version: 1 });
    confluencePage('6006', 1);
    const onPage = macro('6006');
    const req = expectOk(await onPage<RequestAnswer>('requestBreakdown', {}));
    await h.poll(req.jobId, (j) => j.state === 'awaiting_review' || j.state === 'failed');
    const reason = 'Split the onboarding flow into two epics first.';
    const rejected = await h.admin(`/api/jobs/${req.jobId}/reject`, { json: { by: 'reviewer-ann', reason } });
    assert.equal(rejected.status, 200, await rejected.clone().text());
    const job = expectOk(await onPage<StatusAnswer>('getJobStatus', {})).job!;
    assert.equal(job.state, 'rejected');
    assert.equal(job.rejectionReason, reason);
    assert.equal(job.summary, `The reviewer rejected this breakdown: “${reason}”. Nothing was created in Jira.`);
    assert.equal(job.pollAfterMs, null);
  });

  test('a macro outside a saved page, or an anonymous reader, gets a clear message', async () => {
    const draft = invoker(macroHandler, { siteUrl: h.fake.url, localId: 'x', extension: { content: {} } }, READER);
    assert.match(expectFailure(await draft<RequestAnswer>('requestBreakdown', {})).message, /published Confluence page/);
    const anonymous = invoker(macroHandler, { siteUrl: h.fake.url, localId: 'x', extension: { content: { id: '1001' } } }, null);
    assert.match(expectFailure(await anonymous<RequestAnswer>('requestBreakdown', {})).message, /Log in to Confluence/);
  });

  test('a revoked key is reported as revoked on the macro, without the key', async () => {
    const list = (await (await h.admin('/api/keys')).json()) as { keys?: { id: string; name: string }[] } | { id: string; name: string }[];
    const keys = Array.isArray(list) ? list : (list.keys ?? []);
    const mine = keys.find((k) => k.name === 'forge-test');
    assert.ok(mine, JSON.stringify(list));
    const del = await h.admin(`/api/keys/${mine.id}`, { method: 'DELETE' });
    assert.ok(del.status < 300, await del.text());
    const res = expectFailure(await macro('1001')<StatusAnswer>('getJobStatus', {}));
    assert.equal(res.code, 'api_key_revoked');
    assert.match(res.message, /revoked/);
    assert.ok(!res.message.includes(h.apiKey));
  });

  test('when Forge storage fails, the resolver answers with a readable failure instead of crashing', async () => {
    rt.failStorageWith = 500;
    try {
      const res = expectFailure(await settings()<SettingsAnswer>('getSettings'));
      assert.equal(res.code, 'internal');
      assert.match(res.message, /^Spec2Tickets could not read the settings: /);
    } finally {
      rt.failStorageWith = null;
    }
  });
});
