import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCorpusPage } from '../corpus/index.ts';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import { startFakeAtlassian, type FakeAtlassian } from '../fakes/atlassian/server.ts';
import Database from 'better-sqlite3';
import { addSubtasksAndDependency } from './support/reviewEdits.ts';
import { adminFetch, backendEnv, createKeyViaCli, pollJob, startChildBackend } from './support/childBackend.ts';

const noEgress = fileURLToPath(new URL('./support/noEgress.mjs', import.meta.url));

type KillPoint = {
  name: string;
  /** The project to create in: TEAM has no Linked Issues on its create screens, so links need requests of their own. */
  projectKey: 'PAY' | 'TEAM';
  /** Called once approval is sent; resolves when the backend is to be killed. */
  arm: (fake: FakeAtlassian, waitFor: (what: string, cond: () => boolean) => Promise<void>) => Promise<void>;
  /** What must hold in Jira and the ledger at the moment of the kill (to prove the kill came mid-way). */
  atKill: (o: { fake: FakeAtlassian; ledgered: number; items: number }) => void;
};

const answered = (fake: FakeAtlassian, path: RegExp) => fake.requests.some((r) => path.test(r.path) && r.method === 'POST' && r.status !== 0);

const KILL_POINTS: KillPoint[] = [
  {
    // The stories' bulk request takes effect in Jira while its answer is lost; the backend waits
    // before reconciling and is killed then: Jira has issues the backend never recorded.
    name: 'while the answer to a bulk request is lost',
    projectKey: 'PAY',
    arm: async (fake, waitFor) => {
      const bulkBefore = fake.count(/\/issue\/bulk$/);
      await waitFor('the first bulk request', () => fake.count(/\/issue\/bulk$/) >= bulkBefore + 1);
      fake.failNext(/\/issue\/bulk$/, { status: 500, afterHandling: true, method: 'POST' });
      await waitFor('the lost bulk response', () => fake.requests.some((r) => r.injected && r.status === 500 && /\/issue\/bulk$/.test(r.path)));
    },
    atKill: ({ fake, ledgered, items }) => {
      assert.ok(fake.issues.length > 0 && fake.issues.length < items, `killed mid-way (${fake.issues.length} of ${items})`);
      assert.ok(ledgered < fake.issues.length, `Jira created issues the backend never heard of (${ledgered} recorded, ${fake.issues.length} in Jira)`);
    },
  },
  {
    name: 'right after the epics\' bulk request is answered',
    projectKey: 'PAY',
    arm: (fake, waitFor) => waitFor('the epics created', () => answered(fake, /\/issue\/bulk$/)),
    atKill: ({ fake, items }) => assert.ok(fake.issues.length > 0 && fake.issues.length < items, `killed after the first bulk (${fake.issues.length} of ${items})`),
  },
  {
    name: 'during link creation (links by requests of their own)',
    projectKey: 'TEAM',
    // The remote links come next: they are held until the kill, so the kill cannot land after them.
    arm: (fake, waitFor) => {
      fake.hangNext(/\/remotelink$/, { method: 'POST', times: 1000 });
      return waitFor('the first link made', () => answered(fake, /\/issueLink$/));
    },
    atKill: ({ fake, items }) => {
      assert.equal(fake.issues.length, items, 'every issue exists');
      assert.ok(fake.links.length > 0, 'a link was made before the kill');
      assert.equal(fake.remoteLinks.length, 0, 'killed before the remote links');
    },
  },
  {
    name: 'during the remote links to the page',
    projectKey: 'PAY',
    arm: (fake, waitFor) => waitFor('the first remote link', () => answered(fake, /\/remotelink$/)),
    atKill: ({ fake, items }) => {
      assert.equal(fake.issues.length, items, 'every issue exists');
      assert.ok(fake.remoteLinks.length > 0, 'a remote link was made before the kill');
    },
  },
];

describe('the backend as a child process', () => {
  for (const point of KILL_POINTS) {
    test(`a backend killed (SIGKILL) ${point.name} resumes on restart with exactly one issue, link and remote link each`, async (t) => {
      const fake = await startFakeAtlassian();
      const dataDir = mkdtempSync(join(tmpdir(), 's2t-kill-'));
      t.after(async () => {
        await fake.close();
        rmSync(dataDir, { recursive: true, force: true });
      });
      fake.addPage({ id: '5005', title: 'Checkout PRD', storage: loadCorpusPage('prd-checkout').content });
      const env = backendEnv({ dataDir, siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
      const key = createKeyViaCli(env, 'forge');

      let b = await startChildBackend(env);
      t.after(() => void b.child.kill('SIGKILL'));
      const { jobId } = (await (
        await fetch(`${b.publicUrl}/v1/jobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ pageId: '5005', siteUrl: fake.url, requestedBy: 'acc-7', projectKey: point.projectKey }),
        })
      ).json()) as { jobId: string };
      await pollJob(b, key, jobId, (j) => j.state === 'awaiting_review');
      const detail = (await (await adminFetch(b, `/api/jobs/${jobId}`)).json()) as { breakdown: { latest: { body: unknown } } };
      const edited = addSubtasksAndDependency(parseBreakdown(detail.breakdown.latest.body));
      const put = await fetch(`${b.adminBaseUrl}/api/jobs/${jobId}/breakdown`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ breakdown: edited, author: 'lead' }),
      });
      assert.equal(put.status, 200);
      const items = flattenBreakdown(edited);
      assert.ok(items.some((i) => i.level === 'subtask'), 'epics, stories and sub-tasks: creation takes three bulk requests');
      const dependencies = items.flatMap((x) => x.item.dependsOn.map((d) => `${d} blocks ${x.item.id}`)).sort();
      assert.ok(dependencies.length > 0, 'at least one dependency link');

      // Slow enough that the kill lands between two requests of the backend.
      fake.setLatency(150);
      assert.equal((await adminFetch(b, `/api/jobs/${jobId}/approve`, { body: { by: 'lead' } })).status, 200);
      const waitFor = async (what: string, cond: () => boolean) => {
        const deadline = Date.now() + 30_000;
        while (!cond()) {
          assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 2));
        }
      };
      await point.arm(fake, waitFor);
      b.child.kill('SIGKILL');
      await b.exited;
      fake.setLatency(0);
      fake.clearFaults();
      const db = new Database(join(dataDir, 'spec2tickets.db'), { readonly: true });
      const ledgered = (db.prepare('SELECT COUNT(*) AS n FROM created_issues WHERE job_id = ?').get(jobId) as { n: number }).n;
      const stateAtKill = (db.prepare('SELECT state FROM jobs WHERE id = ?').get(jobId) as { state: string }).state;
      db.close();
      assert.equal(stateAtKill, 'creating', 'killed during creation');
      point.atKill({ fake, ledgered, items: items.length });

      b = await startChildBackend(env);
      const done = await pollJob(b, key, jobId, (j) => j.state === 'done' || j.state === 'failed');
      assert.equal(done.state, 'done', JSON.stringify(done.error));
      assert.equal(fake.issues.length, items.length, 'exactly one issue per approved item');
      const itemOf = new Map(fake.issues.map((i) => [i.key, (i.properties.spec2tickets as { itemId: string }).itemId]));
      assert.deepEqual([...itemOf.values()].sort(), items.map((i) => i.item.id).sort());
      assert.ok(fake.issues.every((i) => i.projectKey === point.projectKey));
      const blocks = fake.links.filter((l) => l.type === 'Blocks').map((l) => `${itemOf.get(l.inwardKey)} blocks ${itemOf.get(l.outwardKey)}`).sort();
      assert.deepEqual(blocks, dependencies, 'one Blocks link per dependency, none twice');
      const epicKeys = fake.issues.filter((i) => items.find((x) => x.item.id === itemOf.get(i.key))?.level === 'epic').map((i) => i.key).sort();
      assert.deepEqual(fake.remoteLinks.map((r) => r.issueKey).sort(), epicKeys, 'one remote link to the page per epic');
      assert.equal(done.issues.length, items.length);
      const audit = ((await (await adminFetch(b, `/api/jobs/${jobId}/audit?limit=500`)).json()) as { entries: { action: string }[] }).entries.map((a) => a.action);
      assert.ok(audit.includes('job.resumed'), 'the restart shows in the audit trail');
      fake.assertNoViolations();
      b.child.kill('SIGTERM');
      assert.equal(await b.exited, 0, 'SIGTERM shuts down cleanly');
      assert.match(b.stdout(), /Received SIGTERM; stopping/);
    });
  }

  test('no egress: a whole job runs with every non-loopback connection refused, and none is attempted', async (t) => {
    const fake = await startFakeAtlassian();
    const dataDir = mkdtempSync(join(tmpdir(), 's2t-egress-'));
    t.after(async () => {
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const egressLog = join(dataDir, 'egress.log');

    // The guard itself works: an outside connection from a guarded process is refused and logged.
    const probe = spawnSync(process.execPath, ['--import', noEgress, '-e', "fetch('http://example.com').then(() => process.exit(0), () => process.exit(3))"], {
      env: { PATH: process.env.PATH, S2T_EGRESS_LOG: egressLog },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(probe.status, 3);
    assert.match(readFileSync(egressLog, 'utf8'), /example\.com/);
    rmSync(egressLog);

    fake.addPage({ id: '6006', title: 'Onboarding', storage: loadCorpusPage('user-stories-onboarding').content });
    const env = backendEnv({ dataDir, siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken, extra: { S2T_EGRESS_LOG: egressLog } });
    const key = createKeyViaCli(env, 'forge');
    const b = await startChildBackend(env, ['--import', noEgress]);
    t.after(() => void b.child.kill('SIGKILL'));
    const { jobId } = (await (
      await fetch(`${b.publicUrl}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ pageId: '6006', siteUrl: fake.url, requestedBy: 'acc-8' }),
      })
    ).json()) as { jobId: string };
    await pollJob(b, key, jobId, (j) => j.state === 'awaiting_review');
    const approved = await adminFetch(b, `/api/jobs/${jobId}/approve`, { body: {} });
    assert.equal(approved.status, 200, await approved.clone().text());
    const done = await pollJob(b, key, jobId, (j) => j.state === 'done' || j.state === 'failed');
    assert.equal(done.state, 'done', JSON.stringify(done.error));
    assert.ok(done.issues.length > 0);
    const health = (await (await fetch(`${b.publicUrl}/v1/health`, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string };
    assert.equal(health.status, 'ok');
    assert.equal(existsSync(egressLog) ? readFileSync(egressLog, 'utf8') : '', '', 'nothing was attempted outside loopback');
    b.child.kill('SIGTERM');
    await b.exited;
  });
});
