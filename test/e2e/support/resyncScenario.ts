// The re-sync scenario the tests share: a page whose version 1 (FR-1..FR-4) reached Jira, then
// version 2 rewords FR-2, removes FR-3, adds FR-5 and moves FR-4 to another section, while someone
// edits FR-1's issue in Jira. Pages, the edit in Jira, and the end state every run must reach.

import assert from 'node:assert/strict';
import type { FakeAtlassian, FakeIssue } from '../../fakes/atlassian/server.ts';
import { adfText } from '../../../core/jira/updateIssues.ts';
import type { JobDetailResponse } from '../../../core/server/admin.ts';
import type { JobStatusView } from '../../../core/server/jobView.ts';
import type { ResyncResponse } from '../../../core/server/resyncRoutes.ts';
import type { Harness } from './inProcess.ts';

export const PAGE_ID = '9300';
const FR1 = '<p>FR-1: The shop must refund a cancelled order to the original card within 14 days.</p>';
const FR2_V1 = '<p>FR-2: The customer must receive an email when the refund is issued.</p>';
const FR2_V2 = '<p>FR-2: The customer must receive an email and a text message when the refund is paid.</p>';
const FR3 = '<p>FR-3: The support agent must be able to refund part of an order.</p>';
const FR4 = '<p>FR-4: The finance team must see a daily report of all refunds.</p>';
const FR5 = '<p>FR-5: The customer must be able to follow the refund in the app.</p>';
export const V1 = `<h1>Payments</h1><h2>Refunds</h2>${FR1}${FR2_V1}${FR3}${FR4}`;
export const V2 = `<h1>Payments</h1><h2>Refunds</h2>${FR1}${FR2_V2}${FR5}<h2>Reporting</h2>${FR4}`;
export const FR1_EDITED_IN_JIRA = 'Refund to the original card (agreed with finance)';

/** The issues version 1 created, by requirement. */
export interface V1Keys {
  epic: string;
  fr1: string;
  fr2: string;
  fr3: string;
  fr4: string;
}

export function v1Keys(fake: FakeAtlassian): V1Keys {
  const by = (re: RegExp) => {
    const i = fake.issues.find((x) => re.test(String(x.fields.summary)));
    assert.ok(i, `no issue for ${re}: ${fake.issues.map((x) => x.fields.summary).join(' | ')}`);
    return i.key;
  };
  return { epic: by(/^Refunds$/), fr1: by(/^FR-1/), fr2: by(/^FR-2/), fr3: by(/^FR-3/), fr4: by(/^FR-4/) };
}

const issue = (fake: FakeAtlassian, key: string): FakeIssue => fake.issues.find((i) => i.key === key)!;
const puts = (fake: FakeAtlassian, key: string) => fake.requests.filter((r) => r.method === 'PUT' && r.path === `/rest/api/3/issue/${key}` && r.status === 204).length;

/** The end state of the scenario after version 2 is approved, however many times the backend was killed on the way. */
export function assertResyncEndState(fake: FakeAtlassian, keys: V1Keys, issuesBefore: number): void {
  // FR-2: one edit, one comment; the page's new wording in Jira.
  const fr2 = issue(fake, keys.fr2);
  assert.equal(fr2.fields.summary, 'FR-2: The customer must receive an email and a text message when the refund is paid');
  assert.match(adfText(fr2.fields.description), /a text message when the refund is paid/);
  assert.equal(puts(fake, keys.fr2), 1, 'FR-2 edited once');
  assert.equal(fr2.comments.length, 1, 'one comment on FR-2');
  assert.match(adfText(fr2.comments[0]!.body), /version 1 → 2/);
  // FR-3: labelled and commented with the removed text; never deleted.
  const fr3 = issue(fake, keys.fr3);
  assert.ok(fr3.labels.includes('spec-removed'), fr3.labels.join(','));
  assert.equal(fr3.comments.length, 1, 'one comment on FR-3');
  assert.match(adfText(fr3.comments[0]!.body), /no longer on the specification page \(version 1 → 2\).*refund part of an order/);
  assert.equal(puts(fake, keys.fr3), 1, 'FR-3 labelled by one edit');
  // FR-5: the one new issue, under the epic Jira already had.
  assert.equal(fake.issues.length - issuesBefore, 1, 'exactly one issue created');
  const fr5 = fake.issues.at(-1)!;
  assert.match(String(fr5.fields.summary), /^FR-5/);
  assert.equal(fr5.parentKey, keys.epic);
  // FR-4 unchanged (only moved); FR-1 changed in Jira and left as the team wrote it.
  for (const k of [keys.fr4, keys.fr1, keys.epic]) {
    assert.equal(puts(fake, k), 0, `${k} not edited`);
    assert.equal(issue(fake, k).comments.length, 0, `${k} not commented`);
  }
  assert.equal(issue(fake, keys.fr1).fields.summary, FR1_EDITED_IN_JIRA);
  fake.assertNoViolations();
}

/** Waits on the admin listener (no rate limit), so a slow machine does not spend the API key's budget on polling. */
export async function waitForState(h: Harness, jobId: string, until: (state: string) => boolean, timeoutMs = 60_000): Promise<JobStatusView> {
  const end = Date.now() + timeoutMs;
  let last: JobStatusView | undefined;
  while (Date.now() < end) {
    last = ((await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse).job;
    if (until(last.state)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not reach the expected state; last: ${JSON.stringify(last)}`);
}

/** Asks for a breakdown of the scenario's page through the public API and waits until it awaits review. */
export async function breakDown(h: Harness, requestedBy: string): Promise<string> {
  const res = await h.pub('/v1/jobs', { json: { pageId: PAGE_ID, siteUrl: h.fake.url, requestedBy } });
  assert.equal(res.status, 202, `job not created: ${res.status} ${await res.clone().text()}`);
  const { jobId } = (await res.json()) as { jobId: string };
  await waitForState(h, jobId, (s) => s === 'awaiting_review');
  return jobId;
}

/** The job's re-sync plan once it has been built. */
export async function resyncWhenBuilt(h: Harness, jobId: string): Promise<ResyncResponse> {
  for (const end = Date.now() + 60_000; Date.now() < end; ) {
    const r = (await (await h.admin(`/api/jobs/${jobId}/resync`)).json()) as ResyncResponse;
    if (r.builtAt) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error('the re-sync plan was never built');
}
