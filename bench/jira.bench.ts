// Jira creation cost: a 200-item breakdown against the fake Atlassian with 150 ms latency per
// request, created the product's way (bulk by level, reconciliation, links) versus one create
// request per issue (same fields, same links, same fake, same latency).

import { createBreakdownInJira, jobLabel, ENTITY_PROPERTY_KEY } from '../core/jira/createIssues.ts';
import { createJiraClient } from '../core/jira/client.ts';
import { readProjectMeta, resolveLevelMapping } from '../core/jira/projectMeta.ts';
import { composeIssueDescription } from '../core/jira/adf.ts';
import { flattenBreakdown } from '../core/breakdown/schema.ts';
import { startFakeAtlassian } from '../test/fakes/atlassian/server.ts';
import { sampleBreakdown, MemoryLedger } from '../test/fakes/atlassian/breakdowns.ts';

const LATENCY_MS = 150;
const breakdown = sampleBreakdown(4, 7, 6); // 4 epics + 28 stories + 168 sub-tasks = 200
const flat = flattenBreakdown(breakdown);
const pageUrl = 'https://acme.atlassian.net/wiki/spaces/SPEC/pages/4242';

async function bulkWay() {
  const fake = await startFakeAtlassian({ latencyMs: LATENCY_MS, validate: false });
  try {
    const client = createJiraClient({ siteUrl: fake.url, email: fake.email, apiToken: fake.apiToken });
    const t0 = performance.now();
    const res = await createBreakdownInJira({ client, site: client.site, projectKey: 'PAY', breakdown, jobId: 'bench-bulk', pageUrl, pageTitle: 'Payments spec', ledger: new MemoryLedger() });
    const ms = performance.now() - t0;
    if (res.created.length !== flat.length || res.failed.length) throw new Error(`bulk way created ${res.created.length}, failed ${res.failed.length}`);
    return { ms, requests: fake.requests.length, creates: fake.count(/\/issue\/bulk$/), links: res.linksCreated };
  } finally {
    await fake.close();
  }
}

async function oneByOne() {
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
    let links = 0;
    for (const x of flat) {
      for (const dep of x.item.dependsOn) {
        await client.api.issueLinks.linkIssues({ type: { name: 'Blocks' }, inwardIssue: { key: keys.get(dep)! }, outwardIssue: { key: keys.get(x.item.id)! } });
        links++;
      }
    }
    for (const x of flat.filter((f) => f.level === 'epic')) {
      await client.api.issueRemoteLinks.createOrUpdateRemoteIssueLink({ issueIdOrKey: keys.get(x.item.id)!, object: { url: pageUrl, title: 'Payments spec' } });
    }
    const ms = performance.now() - t0;
    return { ms, requests: fake.requests.length, creates: fake.count(/\/rest\/api\/3\/issue$/, 'POST'), links };
  } finally {
    await fake.close();
  }
}

const bulk = await bulkWay();
const single = await oneByOne();
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
console.log(`jira: ${flat.length} items (4 epics, 28 stories, 168 sub-tasks, ${bulk.links} Blocks links, 4 remote links), ${LATENCY_MS} ms latency per request`);
console.log(`bulk by level:   ${bulk.requests} requests (${bulk.creates} create requests), wall ${s(bulk.ms)}`);
console.log(`one per issue:   ${single.requests} requests (${single.creates} create requests), wall ${s(single.ms)}`);
console.log(`ratio: ${(single.requests / bulk.requests).toFixed(1)}x fewer requests in all, ${(single.creates / bulk.creates).toFixed(1)}x fewer create requests, ${(single.ms / bulk.ms).toFixed(1)}x faster`);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
