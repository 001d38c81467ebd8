// "Update the Jira issues from this version" from the macro, run through the real resolvers (as
// Forge invokes them) against the real backend and the fake Atlassian site: version 1 of a page
// reaches Jira; the page changes (FR-2 reworded, FR-3 removed, FR-5 added, FR-4 moved) while
// someone edits FR-1's issue in Jira. The macro notices the change, offers the update to an editor
// only, the request is a job a reviewer approves in Spec2Tickets (nothing changes in Jira before),
// and the status follows the re-sync to its end state. POST /v1/resync's refusals are checked too.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { installForgeRuntime, invoker, type ForgeRuntimeStandIn } from './support/forgeRuntime.ts';
import { startHarness, type Harness } from '../e2e/support/inProcess.ts';
import { macroHandler, settingsHandler } from '../../forge/src/index.ts';
import type { Failure } from '../../forge/src/resolvers/definitions.ts';
import type { MacroJobView } from '../../forge/src/macro/macroJobView.ts';
import type { SettingsView } from '../../forge/src/settings/settingsStore.ts';
import type { JobStatusResponse, ResyncRequestResponse } from '../../core/server/publicApi.ts';
import { assertResyncEndState, FR1_EDITED_IN_JIRA, PAGE_ID, V1, V2, v1Keys } from '../e2e/support/resyncScenario.ts';

type RequestAnswer = { ok: true; jobId: string; created: boolean; state: string } | Failure;
type ResyncAnswer = { ok: true; jobId: string; created: boolean; state: string; from: number | null; to: number } | Failure;
type StatusAnswer = { ok: true; job: MacroJobView | null; jiraProjectKey: string | null } | Failure;

const ADMIN = 'admin-account-1';
const EDITOR = 'editor-account-2';
const OTHER_EDITOR = 'editor-account-3';
const VIEWER = 'viewer-account-9';
const BACKEND = 'https://s2t.acme.test';

function expectOk<T extends { ok: boolean }>(x: T): Extract<T, { ok: true }> {
  assert.equal(x.ok, true, JSON.stringify(x));
  return x as Extract<T, { ok: true }>;
}
function expectFailure(x: { ok: boolean }): Failure {
  assert.equal(x.ok, false, JSON.stringify(x));
  return x as Failure;
}

describe('updating a page’s Jira issues from the macro', () => {
  let h: Harness;
  let rt: ForgeRuntimeStandIn;
  const macro = (who = EDITOR) =>
    invoker(macroHandler, { moduleKey: 'spec2tickets-macro', localId: 'macro-resync', siteUrl: h.fake.url, extension: { type: 'macro', content: { id: PAGE_ID, type: 'page' } } }, who);
  const confluencePage = (version: number) => rt.confluence.pages.set(PAGE_ID, { version, editors: new Set([EDITOR, OTHER_EDITOR]), readers: null });
  const status = async (who = EDITOR, jobId?: string) => expectOk(await macro(who)<StatusAnswer>('getJobStatus', jobId ? { jobId } : {})).job!;
  const pollMacro = async (until: (j: MacroJobView) => boolean, timeoutMs = 60_000): Promise<MacroJobView> => {
    const end = Date.now() + timeoutMs;
    let last: MacroJobView | undefined;
    while (Date.now() < end) {
      last = await status();
      if (until(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the macro's job did not get there; last: ${JSON.stringify(last)}`);
  };
  const audit = async (jobId: string) => (await h.backend.store.auditLog(jobId)).map((a) => a.action);
  const jiraWrites = () => h.fake.requests.filter((r) => r.method !== 'GET' && r.path.startsWith('/rest/api/3/issue') && !r.path.endsWith('/search')).length;

  before(async () => {
    rt = installForgeRuntime();
    h = await startHarness();
    rt.publish('s2t.acme.test', Number(new URL(h.backend.publicUrl).port));
    rt.egress = [BACKEND];
    rt.confluence.admins.add(ADMIN);
    const saved = await invoker(settingsHandler, { moduleKey: 'spec2tickets-settings', localId: 'settings' }, ADMIN)<{ ok: true; settings: SettingsView } | Failure>('saveSettings', {
      backendUrl: BACKEND,
      jiraProjectKey: 'PAY',
      apiKey: h.apiKey,
    });
    expectOk(saved);
  });
  after(async () => {
    assert.deepEqual(rt.confluenceViolations, [], 'the Confluence calls follow Atlassian’s OpenAPI document');
    await h.close();
    rt.uninstall();
  });

  test('version 1 reaches Jira; the page changes; an editor asks to update, a reviewer approves, and the macro follows it to the end', async () => {
    h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
    confluencePage(1);

    // Before anything reached Jira, there is nothing to update.
    const early = expectFailure(await macro()<ResyncAnswer>('requestResync', {}));
    assert.equal(early.code, 'nothing_to_resync');
    assert.match(early.message, /No breakdown of page 9300 has reached Jira yet.*request a breakdown instead/);

    const first = expectOk(await macro()<RequestAnswer>('requestBreakdown', {}));
    await h.poll(first.jobId, (j) => j.state === 'awaiting_review', 60_000);
    for (const end = Date.now() + 60_000; Date.now() < end && !(await audit(first.jobId)).some((a) => a.startsWith('duplicates.')); ) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await h.admin(`/api/jobs/${first.jobId}/approve`, { json: { by: 'lead' } })).status, 200);
    const done = await pollMacro((j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', done.error ?? '');
    assert.equal(done.resyncOffer, null, 'the page is as its issues were made');
    assert.equal(done.resync, null, 'a first breakdown is not an update');
    const unchanged = expectFailure(await macro()<ResyncAnswer>('requestResync', {}));
    assert.equal(unchanged.code, 'page_unchanged');
    const keys = v1Keys(h.fake);
    const issuesBefore = h.fake.issues.length;

    // Someone edits FR-1 in Jira; the page gets version 2.
    h.fake.editIssue(keys.fr1, { summary: FR1_EDITED_IN_JIRA });
    h.fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
    confluencePage(2);
    const changed = await status();
    assert.deepEqual(changed.resyncOffer, { from: 1, to: 2 }, 'the macro says the page changed since its issues were made');
    assert.equal(changed.canRequest, true);
    const seenByViewer = await status(VIEWER, first.jobId);
    assert.deepEqual(seenByViewer.resyncOffer, { from: 1, to: 2 });
    assert.equal(seenByViewer.canRequest, false, 'a reader sees the change but is not offered the update');

    // Only an editor may ask; the check is Confluence's, as that user.
    const refused = expectFailure(await macro(VIEWER)<ResyncAnswer>('requestResync', {}));
    assert.equal(refused.code, 'not_allowed_resync');
    assert.match(refused.message, /Only people who can edit this page can ask for its Jira issues to be updated/);
    const jobsBefore = (await h.backend.store.listJobs({ pageId: PAGE_ID })).length;
    assert.equal(jobsBefore, 1, 'nothing was requested');

    const writesBefore = jiraWrites();
    const asked = expectOk(await macro()<ResyncAnswer>('requestResync', {}));
    assert.equal(asked.created, true);
    assert.deepEqual([asked.from, asked.to], [1, 2]);
    assert.notEqual(asked.jobId, first.jobId);
    const again = expectOk(await macro()<ResyncAnswer>('requestResync', {}));
    assert.deepEqual([again.jobId, again.created], [asked.jobId, false], 'clicking twice asks once');
    const colleague = expectOk(await macro(OTHER_EDITOR)<ResyncAnswer>('requestResync', {}));
    assert.deepEqual([colleague.jobId, colleague.created], [asked.jobId, false], 'another editor asking for the same version joins the same update');

    // The macro now follows the update; it is reviewed, not applied.
    const review = await pollMacro((j) => (j.state === 'awaiting_review' && j.resync !== null && j.summaryKey === 'resyncReview') || j.state === 'failed');
    assert.equal(review.jobId, asked.jobId);
    assert.deepEqual(review.resync, { from: 1, to: 2 });
    assert.equal(review.summary, 'Update ready for review (to update: 1, to mark as no longer on the page: 1, to create: 1). A reviewer approves it in Spec2Tickets before anything changes in Jira.');
    assert.equal(review.resyncOffer, null, 'no second offer while the update is under way');
    const raw = (await (await h.pub(`/v1/jobs/${asked.jobId}?pageVersion=2`)).json()) as JobStatusResponse;
    assert.deepEqual(raw.resync?.fromVersions, [1]);
    // FR-2 updated, FR-3 marked, FR-5 created; FR-4 (moved) and FR-1 (page unchanged, edited in Jira) left alone.
    assert.deepEqual(raw.resync?.counts, { create: 1, update: 1, mark: 1, unchanged: 2, held: 0, declined: 0 });
    assert.equal(raw.projectKey, 'PAY', 'the updates go to the project the issues are in');
    assert.equal(jiraWrites(), writesBefore, 'asking changed nothing in Jira: the reviewer decides');
    assert.ok((await audit(asked.jobId)).includes('resync.requested'));

    assert.equal((await h.admin(`/api/jobs/${asked.jobId}/approve`, { json: { by: 'lead' } })).status, 200);
    const end = await pollMacro((j) => j.state === 'done' || j.state === 'failed');
    assert.equal(end.state, 'done', end.error ?? '');
    assert.equal(end.summary, 'Jira issues updated from the page: 1 updated, 1 marked as no longer on the page, 1 created.');
    assert.equal(end.resyncOffer, null, 'Jira matches the page again');
    assertResyncEndState(h.fake, keys, issuesBefore);
  });

  test('POST /v1/resync refuses what it cannot do, with the field and the reason', async () => {
    const post = (json: unknown) => h.pub('/v1/resync', { json });
    const missing = await post({ pageId: PAGE_ID, siteUrl: h.fake.url, requestedBy: EDITOR });
    assert.equal(missing.status, 400);
    assert.ok(((await missing.json()) as { fields?: string[] }).fields?.includes('pageVersion'));
    const extra = await post({ pageId: PAGE_ID, siteUrl: h.fake.url, requestedBy: EDITOR, pageVersion: 3, projectKey: 'OTHER' });
    assert.equal(extra.status, 400, 'the project is the one the issues are in, not the caller’s choice');
    const site = await post({ pageId: PAGE_ID, siteUrl: 'https://elsewhere.atlassian.net', requestedBy: EDITOR, pageVersion: 3 });
    assert.equal(site.status, 400);
    assert.equal(((await site.json()) as { code: string }).code, 'site_mismatch');
    const older = await post({ pageId: PAGE_ID, siteUrl: h.fake.url, requestedBy: EDITOR, pageVersion: 2 });
    assert.equal(older.status, 409);
    assert.match(((await older.json()) as { message: string }).message, /were made from version 2; version 2 is not newer/);
    const unknownPage = await post({ pageId: '424242', siteUrl: h.fake.url, requestedBy: EDITOR, pageVersion: 1 });
    assert.equal(unknownPage.status, 409);
    assert.equal(((await unknownPage.json()) as { code: string }).code, 'nothing_to_resync');
    const noKey = await fetch(`${h.backend.publicUrl}/v1/resync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pageId: PAGE_ID, siteUrl: h.fake.url, requestedBy: EDITOR, pageVersion: 3 }) });
    assert.equal(noKey.status, 401);
    const accepted = await post({ pageId: PAGE_ID, siteUrl: h.fake.url, requestedBy: EDITOR, pageVersion: 3 });
    assert.equal(accepted.status, 202);
    const body = (await accepted.json()) as ResyncRequestResponse;
    assert.equal(body.resyncOf.version, 2, 'the last breakdown that reached Jira is the one updated');
    assert.equal(accepted.headers.get('location'), `/v1/jobs/${body.jobId}`);
  });
});
