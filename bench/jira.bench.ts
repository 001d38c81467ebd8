// Jira creation cost: 1,000 items against the real SQLite ledger (ledger share of the time, and the
// event loop's pauses: median, 99th percentile and longest, with the machine's load beside them, since
// on a busy machine the operating system's scheduling stretches every pause), and a 200-item breakdown against the fake Atlassian with 150 ms latency per
// request, created the product's way (bulk by level, dependency links inside the creates,
// reconciliation, remote links on epics) versus one create request per issue followed by one
// request per link (same fields, same fake, same latency) — once with the breakdown's dependencies
// and once without any.

import { createBreakdownInJira, jobLabel, ENTITY_PROPERTY_KEY } from '../core/jira/createIssues.ts';
import { createJiraClient } from '../core/jira/client.ts';
import { readProjectMeta, resolveLevelMapping } from '../core/jira/projectMeta.ts';
import { composeIssueDescription } from '../core/jira/adf.ts';
import { flattenBreakdown } from '../core/breakdown/schema.ts';
import type { Breakdown } from '../core/breakdown/schema.ts';
import { startFakeAtlassian } from '../test/fakes/atlassian/server.ts';
import { sampleBreakdown, MemoryLedger } from '../test/fakes/atlassian/breakdowns.ts';
import { SqliteJobStore } from '../core/store/sqliteStore.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';

const LATENCY_MS = 150;
/** The issue's goals against one request per issue. */
const REQUEST_GOAL = 10;
const SPEED_GOAL = 5;
const pageUrl = 'https://acme.atlassian.net/wiki/spaces/SPEC/pages/4242';

interface Run {
  ms: number;
  requests: number;
  creates: number;
  linkRequests: number;
  remoteLinks: number;
  links: number;
}

async function productWay(breakdown: Breakdown): Promise<Run> {
  const flat = flattenBreakdown(breakdown);
  const fake = await startFakeAtlassian({ latencyMs: LATENCY_MS, validate: false });
  try {
    const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
    const t0 = performance.now();
    const res = await createBreakdownInJira({ client, site: client.site, projectKey: 'PAY', breakdown, jobId: 'bench-bulk', pageUrl, pageTitle: 'Payments spec', ledger: new MemoryLedger() });
    const ms = performance.now() - t0;
    if (res.created.length !== flat.length || res.failed.length) throw new Error(`bulk way created ${res.created.length}, failed ${res.failed.length}`);
    const deps = flat.reduce((n, x) => n + x.item.dependsOn.length, 0);
    if (fake.links.length !== deps) throw new Error(`bulk way made ${fake.links.length} links for ${deps} dependencies`);
    return { ms, requests: fake.requests.length, creates: fake.count(/\/issue\/bulk$/), linkRequests: fake.count(/\/issueLink$/), remoteLinks: fake.count(/\/remotelink$/), links: fake.links.length };
  } finally {
    await fake.close();
  }
}

async function oneByOne(breakdown: Breakdown): Promise<Run> {
  const flat = flattenBreakdown(breakdown);
  const fake = await startFakeAtlassian({ latencyMs: LATENCY_MS, validate: false });
  try {
    const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
    const t0 = performance.now();
    const meta = await readProjectMeta(client, 'PAY');
    const mapping = resolveLevelMapping(meta);
    const keys = new Map<string, string>();
    for (const x of flat) {
      const created = await client.api.issues.createIssue({
        fields: {
          project: { key: 'PAY' },
          issuetype: { id: mapping[x.level] },
          summary: x.item.title,
          labels: [...x.item.labels, jobLabel('bench-one')],
          description: composeIssueDescription({ description: x.item.description, acceptanceCriteria: x.item.acceptanceCriteria, source: { pageTitle: 'Payments spec', pageUrl } }) as never,
          ...(x.parentId ? { parent: { key: keys.get(x.parentId)! } } : {}),
        },
        properties: [{ key: ENTITY_PROPERTY_KEY, value: { jobId: 'bench-one', itemId: x.item.id } }],
      });
      keys.set(x.item.id, created.key!);
    }
    for (const x of flat) {
      for (const dep of x.item.dependsOn) {
        await client.api.issueLinks.linkIssues({ type: { name: 'Blocks' }, inwardIssue: { key: keys.get(dep)! }, outwardIssue: { key: keys.get(x.item.id)! } });
      }
    }
    for (const x of flat.filter((f) => f.level === 'epic')) {
      await client.api.issueRemoteLinks.createOrUpdateRemoteIssueLink({ issueIdOrKey: keys.get(x.item.id)!, object: { url: pageUrl, title: 'Payments spec' } });
    }
    const ms = performance.now() - t0;
    return { ms, requests: fake.requests.length, creates: fake.count(/\/rest\/api\/3\/issue$/, 'POST'), linkRequests: fake.count(/\/issueLink$/), remoteLinks: fake.count(/\/remotelink$/), links: fake.links.length };
  } finally {
    await fake.close();
  }
}

const withLinks = sampleBreakdown(4, 7, 6); // 4 epics + 28 stories + 168 sub-tasks = 200; a chain of 6 links per epic
const withoutLinks = sampleBreakdown(4, 7, 6);
for (const e of withoutLinks.epics) for (const s of e.stories) s.dependsOn = [];

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** This thread's time on a CPU and waiting for one, in ms (Linux /proc/thread-self/schedstat); undefined elsewhere. */
function threadSched(): { run: number; wait: number } | undefined {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return run !== undefined && wait !== undefined ? { run: run / 1e6, wait: wait / 1e6 } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Watches the event loop with a 1 ms timer: the longest gap between two ticks, split into the time
 * this thread ran (work that held the loop) and the time it waited for a CPU (a busy machine), and
 * the most CPU the thread used between two ticks, which the machine's load does not change.
 */
function loopWatch(): { stop: () => { gapMs: number; gapRunMs?: number; gapWaitMs?: number; longestRunMs?: number } } {
  let prev = performance.now();
  let prevSched = threadSched();
  let worst = { gapMs: 0, gapRunMs: undefined as number | undefined, gapWaitMs: undefined as number | undefined };
  let longestRunMs: number | undefined;
  const timer = setInterval(() => {
    const now = performance.now();
    const sched = threadSched();
    const run = sched && prevSched ? sched.run - prevSched.run : undefined;
    if (run !== undefined) longestRunMs = Math.max(longestRunMs ?? 0, run);
    if (now - prev > worst.gapMs) worst = { gapMs: now - prev, gapRunMs: run, gapWaitMs: sched && prevSched ? sched.wait - prevSched.wait : undefined };
    prev = now;
    prevSched = sched;
  }, 1);
  return {
    stop: () => {
      clearInterval(timer);
      return { ...worst, longestRunMs };
    },
  };
}

/**
 * The fake Atlassian in a worker thread: its own event loop and heap, as Jira is another machine,
 * so the pauses measured are the backend's own (its request handling and its garbage collection
 * are not counted against the backend's loop).
 */
async function fakeInWorker(latencyMs: number): Promise<{ url: string; email: string; apiToken: string; close: () => Promise<void> }> {
  const server = new URL('../test/fakes/atlassian/server.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const worker = new Worker(
    `(async () => {
      (await import(${JSON.stringify(tsx)})).register();
      const { parentPort } = await import('node:worker_threads');
      const { startFakeAtlassian } = await import(${JSON.stringify(server)});
      const fake = await startFakeAtlassian({ latencyMs: ${latencyMs}, validate: false });
      parentPort.once('message', () => fake.close().then(() => parentPort.postMessage('closed')));
      parentPort.postMessage({ url: fake.url, email: fake.email, apiToken: fake.apiToken });
    })();`,
    { eval: true, name: 'fake Atlassian' },
  );
  const [info] = (await once(worker, 'message')) as [{ url: string; email: string; apiToken: string }];
  return {
    ...info,
    close: async () => {
      worker.postMessage('close');
      await once(worker, 'message');
      await worker.terminate();
    },
  };
}
const line = (label: string, r: Run) =>
  `  ${label.padEnd(15)}${String(r.requests).padStart(4)} requests (${r.creates} create, ${r.linkRequests} link, ${r.remoteLinks} remote link, ${r.requests - r.creates - r.linkRequests - r.remoteLinks} metadata/search), wall ${s(r.ms)}`;

console.log(`jira: 200 items (4 epics, 28 stories, 168 sub-tasks, 4 remote links on epics), ${LATENCY_MS} ms latency per request`);
const ratios: string[] = [];
const failures: string[] = [];
for (const [name, breakdown] of [['with 24 Blocks links', withLinks], ['without links', withoutLinks]] as const) {
  const bulk = await productWay(breakdown);
  const single = await oneByOne(breakdown);
  console.log(`${name} (${bulk.links} links made, ${bulk.links - bulk.linkRequests} of them inside the creates):`);
  console.log(line('bulk by level:', bulk));
  console.log(line('one per issue:', single));
  const fewer = single.requests / bulk.requests;
  const faster = single.ms / bulk.ms;
  const verdict = (value: number, goal: number) => `${value.toFixed(1)}x ${value >= goal ? 'PASS' : 'FAIL'} (goal ≥ ${goal}x)`;
  console.log(`  fewer requests: ${verdict(fewer, REQUEST_GOAL)}; faster: ${verdict(faster, SPEED_GOAL)}`);
  ratios.push(`${name}: ${fewer.toFixed(1)}x fewer requests, ${faster.toFixed(1)}x faster`);
  if (fewer < REQUEST_GOAL || faster < SPEED_GOAL) failures.push(name);
}
console.log(`summary: ${ratios.join('; ')} (goal ≥ ${REQUEST_GOAL}x fewer requests, ≥ ${SPEED_GOAL}x faster): ${failures.length ? `FAIL (${failures.join(', ')})` : 'PASS'}`);
// 1,000 items against the real SQLite ledger: the time spent in ledger calls (reads and the record
// written as each issue is created) against the whole creation, and the longest event-loop pause.
{
  const LEDGER_GOAL = 0.05;
  const PAUSE_GOAL_MS = 50;
  const big = sampleBreakdown(10, 33, 2); // 10 epics + 330 stories + 660 sub-tasks = 1,000
  const items = flattenBreakdown(big).length;
  const dataDir = mkdtempSync(join(tmpdir(), 's2t-bench-ledger-'));
  const store = new SqliteJobStore({ dataDir });
  const fake = await fakeInWorker(LATENCY_MS);
  try {
    const { job } = await store.createOrFindOpenJob({ pageId: '4242', siteUrl: fake.url, pageVersion: null, requestedBy: 'bench' }, 'bench');
    const sqlite = store.creationLedger(job.id, (key) => `${fake.url}/browse/${key}`);
    let ledgerMs = 0;
    const timed = <A extends unknown[], R>(fn: (...args: A) => R) => (...args: A): R => {
      const t0 = performance.now();
      try {
        return fn(...args);
      } finally {
        ledgerMs += performance.now() - t0;
      }
    };
    const ledger = {
      createdItems: timed(sqlite.createdItems),
      recordCreated: timed(sqlite.recordCreated),
      recordLinked: timed(sqlite.recordLinked),
      linkedKeys: timed(sqlite.linkedKeys),
      recordPendingBulk: timed(sqlite.recordPendingBulk),
      pendingBulk: timed(sqlite.pendingBulk),
      clearPendingBulk: timed(sqlite.clearPendingBulk),
      recordJiraUpdated: timed(sqlite.recordJiraUpdated),
      recordOwnWrites: timed(sqlite.recordOwnWrites),
    };
    const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
    // The histogram records the time between two ticks of a timer that fires every RESOLUTION_MS, so
    // a loop that never waits records RESOLUTION_MS: the pause is what lies beyond it.
    const RESOLUTION_MS = 10;
    const pauses = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    // The earlier runs' garbage is collected first (the bench runner passes --expose-gc), so a
    // collection of it is not counted against this run.
    (globalThis as { gc?: () => void }).gc?.();
    const loadBefore = loadavg()[0]!;
    pauses.enable();
    const watch = loopWatch();
    const t0 = performance.now();
    let events = 0;
    const res = await createBreakdownInJira({ client, site: client.site, projectKey: 'PAY', breakdown: big, jobId: job.id, pageUrl, pageTitle: 'Payments spec', ledger, onProgress: () => void events++ });
    const ms = performance.now() - t0;
    pauses.disable();
    const watched = watch.stop();
    if (res.created.length !== items || res.failed.length) throw new Error(`1,000-item run created ${res.created.length}, failed ${res.failed.length}`);
    const share = ledgerMs / ms;
    const pause = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const [p50, p99, max] = [pause(pauses.percentile(50)), pause(pauses.percentile(99)), pause(pauses.max)];
    const load = `load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after, ${availableParallelism()} cores`;
    const ok = share < LEDGER_GOAL && max < PAUSE_GOAL_MS;
    console.log(
      `${items} items, SQLite ledger, ${LATENCY_MS} ms latency: ${s(ms)} in all, ${ledgerMs.toFixed(0)} ms in the ledger (${(share * 100).toFixed(2)} %, goal < ${LEDGER_GOAL * 100} %), ${events} progress events`,
    );
    console.log(
      `  event-loop pauses (fake Jira in a worker thread, ${load}): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms (goal: max < ${PAUSE_GOAL_MS} ms): ${ok ? 'PASS' : 'FAIL'}`,
    );
    if (watched.longestRunMs !== undefined) {
      console.log(
        `  longest gap between two 1 ms ticks ${watched.gapMs.toFixed(1)} ms: ${watched.gapRunMs!.toFixed(1)} ms running, ${watched.gapWaitMs!.toFixed(1)} ms waiting for a CPU; ` +
          `most CPU the loop's thread used between two ticks ${watched.longestRunMs.toFixed(1)} ms (independent of the machine's load)`,
      );
    }
    if (!ok) failures.push('1,000 items with the SQLite ledger');
  } finally {
    await fake.close();
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
if (failures.length) process.exitCode = 1;
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
// A missed goal fails the run, so CI sees it and not only a reader of the figures.
if (failures.length) process.exitCode = 1;
