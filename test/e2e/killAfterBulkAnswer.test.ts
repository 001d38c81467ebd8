// A backend killed (SIGKILL) after Jira answered a bulk create request and before the answer reached
// the ledger: on restart the job's label search must adopt the issues Jira made, so every approved
// item ends with exactly one issue and none is created twice. The kill point is exact: a preload in
// the backend process kills it the moment the answer to the stories' bulk request is parsed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { loadCorpusPage } from '../corpus/index.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import { adfText } from '../../core/jira/adf.ts';
import { startFakeAtlassian } from '../fakes/atlassian/server.ts';
import { addSubtasksAndDependency } from './support/reviewEdits.ts';
import { adminFetch, backendEnv, createKeyViaCli, pollJob, startChildBackend } from './support/childBackend.ts';

const killAfterBulk = fileURLToPath(new URL('./support/killAfterBulkAnswer.mjs', import.meta.url));

test('a backend killed after Jira answered a bulk create and before the ledger write adopts those issues on restart: one issue per item, none twice', async (t) => {
  const fake = await startFakeAtlassian();
  const dataDir = mkdtempSync(join(tmpdir(), 's2t-kill-bulk-'));
  t.after(async () => {
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  fake.addPage({ id: '5005', title: 'Checkout PRD', storage: loadCorpusPage('prd-checkout').content });
  const report = join(dataDir, 'killed-bulk-answer.json');
  const env = backendEnv({ dataDir, siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
  const key = createKeyViaCli(env, 'forge');

  // The second bulk request is the stories' (epics, then stories, then sub-tasks).
  let b = await startChildBackend({ ...env, S2T_KILL_AFTER_BULK: '2', S2T_KILL_REPORT: report }, ['--import', killAfterBulk]);
  t.after(() => void b.child.kill('SIGKILL'));
  const { jobId } = (await (
    await fetch(`${b.publicUrl}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pageId: '5005', siteUrl: fake.url, requestedBy: 'acc-7', projectKey: 'PAY' }),
    })
  ).json()) as { jobId: string };
  await pollJob(b, key, jobId, (j) => j.state === 'awaiting_review');
  const detail = (await (await adminFetch(b, `/api/jobs/${jobId}`)).json()) as { breakdown: { latest: { body: unknown } } };
  const edited = addSubtasksAndDependency(parseBreakdown(detail.breakdown.latest.body));
  assert.equal((await adminFetch(b, `/api/jobs/${jobId}/breakdown`, { method: 'PUT', body: { breakdown: edited, author: 'lead' } })).status, 200);
  const items = flattenBreakdown(edited);
  const stories = items.filter((x) => x.level === 'story').map((x) => x.item.id).sort();
  assert.ok(stories.length > 0 && items.some((x) => x.level === 'subtask'), 'epics, stories and sub-tasks: three bulk requests');
  const dependencies = items.flatMap((x) => x.item.dependsOn.map((d) => `${d} blocks ${x.item.id}`)).sort();

  assert.equal((await adminFetch(b, `/api/jobs/${jobId}/approve`, { body: { by: 'lead' } })).status, 200);
  const deadline = setTimeout(() => b.child.kill('SIGKILL'), 60_000);
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => b.child.once('exit', (_code, sig) => resolve(sig)));
  clearTimeout(deadline);
  assert.equal(signal, 'SIGKILL', `the backend died by its own SIGKILL after the answer (stderr: ${b.stderr().slice(-2000)})`);

  // At the kill: Jira made the stories and answered; the ledger holds the epics only, and the record
  // of the request in flight is still there.
  const killed = JSON.parse(readFileSync(report, 'utf8')) as { status: number; issues: { key: string; id: string }[]; errors: unknown[] };
  assert.equal(killed.status, 201);
  assert.ok(killed.issues.length > 0, 'the answer named the issues Jira created');
  assert.deepEqual(killed.errors, []);
  const itemOfKey = () => new Map(fake.issues.map((i) => [i.key, (i.properties.spec2tickets as { itemId: string }).itemId]));
  // A story blocked by another waits for a later request (it links to it at creation), so this
  // answer may name all but that one.
  for (const i of killed.issues) assert.ok(stories.includes(itemOfKey().get(i.key) ?? ''), `${i.key} of the killed answer is a story`);
  const db = new Database(join(dataDir, 'spec2tickets.db'), { readonly: true });
  const ledgered = (db.prepare('SELECT item_id FROM created_issues WHERE job_id = ?').all(jobId) as { item_id: string }[]).map((r) => r.item_id).sort();
  const state = (db.prepare('SELECT state FROM jobs WHERE id = ?').get(jobId) as { state: string }).state;
  db.close();
  assert.equal(state, 'creating', 'killed during creation');
  assert.deepEqual(ledgered, items.filter((x) => x.level === 'epic').map((x) => x.item.id).sort(), 'only the epics reached the ledger');
  assert.equal(fake.issues.length, ledgered.length + killed.issues.length, 'Jira holds the stories the ledger never heard of');

  // Restart without the fault: the job resumes, adopts those stories and creates only the rest.
  b = await startChildBackend(env);
  const done = await pollJob(b, key, jobId, (j) => j.state === 'done' || j.state === 'failed');
  assert.equal(done.state, 'done', JSON.stringify(done.error));
  const itemOf = itemOfKey();
  assert.equal(fake.issues.length, items.length, 'exactly one issue per approved item');
  assert.deepEqual([...itemOf.values()].sort(), items.map((x) => x.item.id).sort());
  for (const issue of killed.issues) assert.ok(itemOf.has(issue.key), `story ${issue.key} from the killed answer is the one the job keeps`);
  assert.deepEqual(done.issues.map((i) => i.key).sort(), [...itemOf.keys()].sort(), 'the job reports the issues Jira holds');
  const blocks = fake.links.filter((l) => l.type === 'Blocks').map((l) => `${itemOf.get(l.inwardKey)} blocks ${itemOf.get(l.outwardKey)}`).sort();
  assert.deepEqual(blocks, dependencies, 'one Blocks link per dependency, none twice');
  // What a later re-sync measures Jira against is on record for every issue, the adopted stories too.
  const after = new Database(join(dataDir, 'spec2tickets.db'), { readonly: true });
  const records = after.prepare('SELECT issue_key, sent, jira_updated FROM created_issues WHERE job_id = ?').all(jobId) as { issue_key: string; sent: string | null; jira_updated: string | null }[];
  after.close();
  assert.equal(records.length, items.length);
  for (const r of records) {
    const issue = fake.issues.find((i) => i.key === r.issue_key)!;
    assert.deepEqual([JSON.parse(r.sent ?? 'null'), r.jira_updated], [{ summary: issue.fields.summary, descriptionText: adfText(issue.fields.description) }, issue.updated], r.issue_key);
  }
  fake.assertNoViolations();
  b.child.kill('SIGTERM');
  assert.equal(await b.exited, 0, 'SIGTERM shuts down cleanly');
});
