// What the admin page accepts, and what the macro says at each step of a job.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { validateSettingsInput } from '../../forge/src/settings/settingsStore.ts';
import { macroJobView, SUMMARY_KEYS } from '../../forge/src/macro/macroJobView.ts';
import { readFileSync } from 'node:fs';
import type { JobStatusResponse } from '../../core/server/publicApi.ts';

const KEY = 's2t_' + 'x'.repeat(43);

describe('admin settings validation', () => {
  const check = (backendUrl: string) => validateSettingsInput({ backendUrl, jiraProjectKey: 'PAY', apiKey: KEY }, false);

  test('https addresses are kept without a trailing slash, with a path prefix allowed', () => {
    const r = check('https://Spec2Tickets.Acme.example/s2t/');
    assert.ok(r.ok);
    assert.equal(r.value.backendUrl, 'https://spec2tickets.acme.example/s2t');
  });

  test('plain http is refused, 127.0.0.1 included (Forge cannot reach it anyway)', () => {
    for (const url of ['http://spec2tickets.acme.example', 'http://127.0.0.1:8787']) {
      const r = check(url);
      assert.ok(!r.ok, url);
      assert.match(r.problems[0]!.message, /https:\/\//);
    }
  });

  test('addresses only the backend’s own machine or network knows are refused, saying why', () => {
    for (const [url, why] of [
      ['https://127.0.0.1:8443', /loopback/],
      ['https://localhost', /names the machine itself/],
      ['https://[::1]:8443', /loopback/],
      ['https://192.168.1.20', /private network/],
      ['https://172.20.0.5', /private network/],
      ['https://s2t.corp.internal', /local network/],
      ['https://spec2tickets', /without a domain/],
    ] as const) {
      const r = check(url);
      assert.ok(!r.ok, url);
      assert.match(r.problems[0]!.message, /Atlassian's cloud, which cannot reach/, url);
      assert.match(r.problems[0]!.message, why, url);
    }
    assert.ok(check('https://s2t.acme.example:8443').ok, 'a public name on any port is fine');
    assert.ok(check('https://203.0.113.7').ok, 'a public address is fine');
  });

  test('addresses with credentials, a query or /v1 are refused with the reason', () => {
    for (const [url, reason] of [
      ['https://user:pw@s2t.acme.example', /user name and password/],
      ['https://s2t.acme.example/?x=1', /query/],
      ['https://s2t.acme.example/v1/', /without \/v1/],
      ['not a url', /not a web address/],
    ] as const) {
      const r = check(url);
      assert.ok(!r.ok, url);
      assert.match(r.problems[0]!.message, reason, url);
    }
  });

  test('the project key is upper-cased and must look like a Jira key', () => {
    const ok = validateSettingsInput({ backendUrl: 'https://a.example', jiraProjectKey: ' pay2 ', apiKey: KEY }, false);
    assert.ok(ok.ok);
    assert.equal(ok.value.jiraProjectKey, 'PAY2');
    for (const bad of ['P', '1PAY', 'PAY-1', 'ABCDEFGHIJK', '']) {
      const r = validateSettingsInput({ backendUrl: 'https://a.example', jiraProjectKey: bad, apiKey: KEY }, false);
      assert.ok(!r.ok && r.problems.some((p) => p.field === 'jiraProjectKey'), bad);
    }
  });

  test('an empty key field is allowed only when a key is already saved', () => {
    const input = { backendUrl: 'https://a.example', jiraProjectKey: 'PAY', apiKey: '' };
    assert.ok(!validateSettingsInput(input, false).ok);
    const kept = validateSettingsInput(input, true);
    assert.ok(kept.ok);
    assert.equal(kept.value.apiKey, null);
  });
});

describe('macro job view', () => {
  const job = (over: Partial<JobStatusResponse>): JobStatusResponse => ({
    jobId: 'j1',
    pageId: '1001',
    pageVersion: 3,
    requestedBy: 'acc',
    projectKey: null,
    pageTitle: 'Checkout PRD',
    state: 'queued',
    progress: {},
    counts: null,
    issues: [],
    error: null,
    attempt: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  });

  test('drafting shows the section being worked on and a fraction', () => {
    const v = macroJobView(job({ state: 'generating', progress: { step: 'generating', section: 3, sections: 4, tokens: 100, phase: 'sections' } }));
    assert.equal(v.summary, 'Drafting the breakdown: section 3 of 4.');
    assert.equal(v.fraction, 0.5);
    assert.equal(v.pollAfterMs, 3000);
    assert.equal(v.tone, 'progress');
  });

  test('creation shows how many issues exist so far', () => {
    const v = macroJobView(job({ state: 'creating', progress: { step: 'creating', phase: 'create', done: 3, total: 12, message: 'Creating stories' } }));
    assert.equal(v.summary, 'Creating Jira issues (3 of 12). Creating stories.');
    assert.equal(v.fraction, 0.25);
  });

  test('review says what is waiting and that nothing is created before approval', () => {
    const v = macroJobView(job({ state: 'awaiting_review', counts: { epics: 1, stories: 2, subtasks: 0 } }));
    assert.equal(v.summary, 'Draft ready (1 epic, 2 stories, 0 sub-tasks). A reviewer approves it in Spec2Tickets before anything is created in Jira.');
    assert.equal(v.pollAfterMs, 10_000);
  });

  test('finished jobs stop polling; a failure carries its reason', () => {
    const failed = macroJobView(job({ state: 'failed', error: { code: 'page_not_found', message: 'Confluence has no page 42.' } }));
    assert.equal(failed.pollAfterMs, null);
    assert.equal(failed.error, 'Confluence has no page 42.');
    assert.equal(failed.summary, 'The job failed: Confluence has no page 42.');
    for (const state of ['done', 'rejected', 'cancelled'] as const) assert.equal(macroJobView(job({ state })).pollAfterMs, null, state);
    const one = macroJobView(job({ state: 'done', issues: [{ itemId: 'E1', key: 'PAY-1', url: 'https://acme.atlassian.net/browse/PAY-1' }] }));
    assert.equal(one.summary, 'Created 1 Jira issue.');
  });

  test('a rejected job carries the reviewer’s reason; a newer page version is reported as a change', () => {
    const v = macroJobView(job({ state: 'rejected', rejectionReason: '  Too coarse.  ' }), { currentPageVersion: 5, canEdit: true });
    assert.equal(v.rejectionReason, 'Too coarse.');
    assert.equal(v.summary, 'The reviewer rejected this breakdown: “Too coarse.”. Nothing was created in Jira.');
    assert.deepEqual(v.pageChanged, { from: 3, to: 5 });
    assert.equal(v.canRequest, true);
    const same = macroJobView(job({ state: 'done', rejectionReason: 'ignored unless rejected' }), { currentPageVersion: 3, canEdit: false });
    assert.equal(same.rejectionReason, null);
    assert.equal(same.pageChanged, null);
    assert.equal(same.canRequest, false);
  });

  const page = (over: Partial<NonNullable<JobStatusResponse['page']>> = {}): NonNullable<JobStatusResponse['page']> => ({
    lastBreakdown: { jobId: 'j1', version: 3, at: '2026-01-01T00:00:00.000Z' },
    latestKnownVersion: 5,
    changedSince: true,
    ...over,
  });

  test('a page changed since its issues reached Jira offers the update once nothing is under way, with the versions', () => {
    const offered = macroJobView(job({ state: 'done', page: page() }), { currentPageVersion: 5, canEdit: true });
    assert.deepEqual(offered.resyncOffer, { from: 3, to: 5 });
    assert.equal(offered.resync, null, 'this job is the first breakdown, not an update');
    for (const state of ['queued', 'generating', 'awaiting_review', 'creating'] as const) {
      assert.equal(macroJobView(job({ state, page: page() }), { currentPageVersion: 5, canEdit: true }).resyncOffer, null, `${state}: a job under way is the answer already`);
    }
    assert.equal(macroJobView(job({ state: 'done', page: page({ changedSince: false, latestKnownVersion: 3 }) }), { currentPageVersion: 3, canEdit: true }).resyncOffer, null, 'unchanged page');
    assert.equal(macroJobView(job({ state: 'failed', page: page({ lastBreakdown: null, changedSince: null }) }), { currentPageVersion: 5, canEdit: true }).resyncOffer, null, 'nothing in Jira to update');
    // A rejected update leaves the page still ahead of Jira: offered again.
    const rejected = macroJobView(job({ state: 'rejected', pageVersion: 5, page: page(), resync: { fromVersions: [3], toVersion: 5, counts: null, applied: null } }), { currentPageVersion: 5, canEdit: true });
    assert.deepEqual(rejected.resyncOffer, { from: 3, to: 5 });
  });

  test('a re-sync job says which versions it connects, what review will change, and what it did', () => {
    const review = macroJobView(job({ state: 'awaiting_review', pageVersion: 5, resync: { fromVersions: [1, 3], toVersion: 5, counts: { create: 1, update: 2, mark: 1, unchanged: 4, held: 1, declined: 0 }, applied: null } }));
    assert.deepEqual(review.resync, { from: 3, to: 5 });
    assert.equal(review.summary, 'Update ready for review (to update: 2, to mark as no longer on the page: 1, to create: 1). A reviewer approves it in Spec2Tickets before anything changes in Jira.');
    assert.equal(review.pollAfterMs, 10_000);
    const planning = macroJobView(job({ state: 'awaiting_review', resync: { fromVersions: [3], toVersion: 5, counts: null, applied: null } }));
    assert.match(planning.summary, /working out which Jira issues it changes/);
    const done = macroJobView(job({ state: 'done', issues: [{ itemId: 'S9', key: 'PAY-9', url: 'https://acme.atlassian.net/browse/PAY-9' }], resync: { fromVersions: [3], toVersion: 5, counts: null, applied: { updated: 1, marked: 1, held: 1 } } }));
    assert.equal(done.summary, 'Jira issues updated from the page: 1 updated, 1 marked as no longer on the page, 1 created; 1 left as they are because someone changed them in Jira.');
    assert.equal(done.summaryKey, 'resyncDoneHeld');
  });

  test('every summary has a translation in English and German that uses exactly its values', () => {
    const locales = ['en-US', 'de-DE'].map((l) => JSON.parse(readFileSync(new URL(`../../forge/locales/${l}.json`, import.meta.url), 'utf8')) as { macro: { summary: Record<string, string> } });
    const samples = [
      job({ state: 'queued' }),
      job({ state: 'fetching' }),
      job({ state: 'generating' }),
      job({ state: 'generating', progress: { section: 1, sections: 2 } }),
      job({ state: 'awaiting_review', counts: { epics: 1, stories: 2, subtasks: 3 } }),
      job({ state: 'awaiting_review', resync: { fromVersions: [1], toVersion: 2, counts: null, applied: null } }),
      job({ state: 'awaiting_review', resync: { fromVersions: [1], toVersion: 2, counts: { create: 1, update: 2, mark: 1, unchanged: 3, held: 0, declined: 0 }, applied: null } }),
      job({ state: 'approved' }),
      job({ state: 'creating' }),
      job({ state: 'creating', progress: { done: 1, total: 4 } }),
      job({ state: 'done' }),
      job({ state: 'done', resync: { fromVersions: [1], toVersion: 2, counts: null, applied: { updated: 1, marked: 1, held: 0 } } }),
      job({ state: 'done', resync: { fromVersions: [1], toVersion: 2, counts: null, applied: { updated: 1, marked: 0, held: 1 } } }),
      job({ state: 'rejected' }),
      job({ state: 'rejected', rejectionReason: 'why' }),
      job({ state: 'failed', error: { code: 'x', message: 'broken' } }),
      job({ state: 'cancelled' }),
    ].map((j) => macroJobView(j));
    assert.deepEqual([...new Set(samples.map((v) => v.summaryKey))].sort(), [...SUMMARY_KEYS].sort(), 'every key is produced by some state');
    for (const v of samples) {
      for (const l of locales) {
        const template = l.macro.summary[v.summaryKey];
        assert.ok(template, `${v.summaryKey} is translated`);
        const used = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        assert.deepEqual(used, Object.keys(v.summaryParams).sort(), `${v.summaryKey}: ${template}`);
      }
    }
  });
});
