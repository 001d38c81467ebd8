// Re-sync survives kill -9: the backend runs as a child process and is killed twice while it applies
// a re-sync in Jira — once after Jira took the edit of FR-2's issue but before the answer arrived,
// once after Jira took the comment on FR-3's issue likewise. Each restart resumes the job, and the
// end state is the uninterrupted run's: FR-2 edited once and commented once, FR-3 labelled and
// commented once, FR-5 created once under the existing epic, FR-1 and FR-4 untouched. In a project
// whose edit screens lack Description, the fields the killed run meant for the comment are the ones
// the resumed run comments, even when an admin adds Description to the screen meanwhile.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAtlassian } from '../fakes/atlassian/server.ts';
import { backendEnv, createKeyViaCli, startChildBackend, type ChildBackend } from './support/childBackend.ts';
import { assertResyncEndState, FR1_EDITED_IN_JIRA, PAGE_ID, V1, V2, v1Keys } from './support/resyncScenario.ts';
import { adfText } from '../../core/jira/updateIssues.ts';
import type { JobStatusView } from '../../core/server/jobView.ts';
import type { ResyncResponse } from '../../core/server/resyncRoutes.ts';

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A backend as a child process against a fake Atlassian, with version 1 of the page in Jira and version 2 broken down, its re-sync plan built. */
async function resyncAwaitingApproval(t: TestContext, extra: Record<string, string> = {}) {
  const fake = await startFakeAtlassian();
  const dir = mkdtempSync(join(tmpdir(), 's2t-resync-kill-'));
  const env = backendEnv({ dataDir: dir, siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken, extra });
  const key = createKeyViaCli(env, 'forge');
  let b: ChildBackend = await startChildBackend(env);
  t.after(async () => {
    b.child.kill('SIGKILL');
    await b.exited;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const pub = (path: string, body?: unknown) =>
    fetch(`${b.publicUrl}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  const admin = (path: string, body?: unknown) =>
    fetch(`${b.adminBaseUrl}${path}`, { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
  // Polled on the admin listener: it has no rate limit, the API key does.
  const state = async (jobId: string) => ((await (await admin(`/api/jobs/${jobId}`)).json()) as { job: JobStatusView }).job.state;
  const breakDown = async (requestedBy: string) => {
    const { jobId } = (await (await pub('/v1/jobs', { pageId: PAGE_ID, siteUrl: fake.url, requestedBy })).json()) as { jobId: string };
    await waitFor('review', async () => (await state(jobId)) === 'awaiting_review');
    return jobId;
  };

  fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V1, version: 1 });
  const first = await breakDown('first');
  await admin(`/api/jobs/${first}/approve`, { by: 'lead' });
  await waitFor('version 1 in Jira', async () => (await state(first)) === 'done');
  const keys = v1Keys(fake);
  const before = fake.issues.length;
  fake.editIssue(keys.fr1, { summary: FR1_EDITED_IN_JIRA });
  fake.addPage({ id: PAGE_ID, title: 'Payments', storage: V2, version: 2 });
  const second = await breakDown('second');
  await waitFor('the re-sync plan', async () => ((await (await admin(`/api/jobs/${second}/resync`)).json()) as ResyncResponse).builtAt !== null);
  return {
    fake,
    keys,
    before,
    second,
    approve: () => admin(`/api/jobs/${second}/approve`, { by: 'lead' }),
    state,
    async kill() {
      b.child.kill('SIGKILL');
      await b.exited;
    },
    async restart() {
      b = await startChildBackend(env);
    },
  };
}

test('a backend killed (SIGKILL) while it updates Jira from a changed page resumes with each update applied once and no comment written twice', { timeout: 400_000 }, async (t) => {
  const { fake, keys, before, second, approve, state, kill, restart } = await resyncAwaitingApproval(t);

  // Kill 1: Jira takes the edit of FR-2's issue; the answer never reaches the backend.
  const fr2Edit = `/rest/api/3/issue/${keys.fr2}`;
  fake.hangNext(new RegExp(`^${fr2Edit}$`), { method: 'PUT', afterHandling: true });
  await approve();
  await waitFor('the edit of FR-2 taken by Jira', () => fake.requests.some((r) => r.method === 'PUT' && r.path === fr2Edit && r.injected));
  assert.match(String(fake.issues.find((i) => i.key === keys.fr2)!.fields.summary), /text message/, 'the edit took effect before the kill');
  await kill();

  // Kill 2: after the restart, Jira takes the comment on FR-3's issue; again no answer.
  const fr3Comment = `/rest/api/3/issue/${keys.fr3}/comment`;
  fake.hangNext(new RegExp(`^${fr3Comment}$`), { method: 'POST', afterHandling: true });
  await restart();
  await waitFor('the comment on FR-3 taken by Jira', () => fake.requests.some((r) => r.method === 'POST' && r.path === fr3Comment && r.injected));
  assert.equal(fake.issues.find((i) => i.key === keys.fr3)!.comments.length, 1);
  await kill();

  await restart();
  await waitFor('the job done', async () => (await state(second)) === 'done');
  assertResyncEndState(fake, keys, before);
  assert.equal(fake.requests.filter((r) => r.method === 'POST' && r.path === `/rest/api/3/issue/${keys.fr2}/comment`).length, 1, 'FR-2 commented by one request');
  assert.equal(fake.requests.filter((r) => r.method === 'POST' && r.path === fr3Comment).length, 1, 'FR-3 commented by one request');
});

test('killed after Jira took the edit of an issue whose edit screen lacks Description, the resumed run comments the description it meant to, once, even after Description was added to the screen', { timeout: 400_000 }, async (t) => {
  const { fake, keys, second, approve, state, kill, restart } = await resyncAwaitingApproval(t, { SPEC2TICKETS_JIRA_PROJECT: 'LEAN' });
  const fr2Edit = `/rest/api/3/issue/${keys.fr2}`;
  const fr2Comment = `${fr2Edit}/comment`;
  fake.hangNext(new RegExp(`^${fr2Edit}$`), { method: 'PUT', afterHandling: true });
  await approve();
  await waitFor('the edit of FR-2 taken by Jira', () => fake.requests.some((r) => r.method === 'PUT' && r.path === fr2Edit && r.injected));
  await kill();

  // An admin puts Description on LEAN's story edit screen; then the comment is taken and its answer lost.
  const story = fake.projects.get('LEAN')!.issueTypes.find((x) => x.name === 'Story')!;
  story.editFields = [...story.fields, { fieldId: 'description', name: 'Description', type: 'string' }];
  fake.hangNext(new RegExp(`^${fr2Comment}$`), { method: 'POST', afterHandling: true });
  await restart();
  await waitFor('the comment on FR-2 taken by Jira', () => fake.requests.some((r) => r.method === 'POST' && r.path === fr2Comment && r.injected));
  await kill();

  await restart();
  await waitFor('the job done', async () => (await state(second)) === 'done');
  const fr2 = fake.issues.find((i) => i.key === keys.fr2)!;
  assert.match(String(fr2.fields.summary), /text message when the refund is paid/);
  assert.equal(fr2.fields.description, undefined, 'the description stayed in the comment, as the first run recorded');
  assert.equal(fake.requests.filter((r) => r.method === 'PUT' && r.path === fr2Edit).length, 1, 'FR-2 edited by one request');
  assert.equal(fake.requests.filter((r) => r.method === 'POST' && r.path === fr2Comment).length, 1, 'FR-2 commented by one request');
  assert.equal(fr2.comments.length, 1);
  assert.match(adfText(fr2.comments[0]!.body), /Not written to the issue's fields \(Description is not on the issue's edit screen in Jira; .*\): description, acceptance criteria, estimate\. The page's new text: Description .*text message/);
  fake.assertNoViolations();
});
