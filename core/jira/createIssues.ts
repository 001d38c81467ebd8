// Creates an approved breakdown in Jira, level by level with bulk create, and never duplicates an
// issue: every created issue carries the job label and an entity property { jobId, itemId }, each
// bulk response is written to the ledger before the next request, and before creating anything
// (and after any create whose outcome is unknown) Jira itself is searched by the job label so that
// issues created just before a crash or a lost response are adopted instead of created again.

import { flattenBreakdown } from '../breakdown/schema.ts';
import type { Breakdown, FlatItem, ItemLevel, Story, Subtask } from '../breakdown/schema.ts';
import { AtlassianError } from '../atlassian/site.ts';
import type { AtlassianSite } from '../atlassian/site.ts';
import { defaultSleep } from '../atlassian/transport.ts';
import type { Sleep } from '../atlassian/transport.ts';
import { composeIssueDescription } from './adf.ts';
import type { JiraClient } from './client.ts';
import { issueTypeById, readProjectMeta, resolveLevelMapping, storyPointsField, unfillableRequiredFields } from './projectMeta.ts';
import type { IssueTypeMeta, LevelMapping } from './projectMeta.ts';

export const ENTITY_PROPERTY_KEY = 'spec2tickets';
export const BULK_LIMIT = 50;

export interface CreationLedger {
  createdItems(): Map<string, { key: string; id: string }>;
  recordCreated(itemId: string, issue: { key: string; id: string }): void;
  recordLinked?(linkKey: string): void;
  linkedKeys?(): Set<string>;
}

export interface CreationProgress {
  phase: 'metadata' | 'reconcile' | 'create' | 'links' | 'remote-links' | 'done';
  /** Items known to exist in Jira so far (created now or before). */
  done: number;
  total: number;
  message: string;
}

export interface CreateBreakdownOptions {
  client: JiraClient;
  site: AtlassianSite;
  projectKey: string;
  breakdown: Breakdown;
  jobId: string;
  pageUrl: string;
  pageTitle: string;
  ledger: CreationLedger;
  mapping?: Partial<LevelMapping>;
  onProgress?: (p: CreationProgress) => void;
  signal?: AbortSignal;
  /** Waits before re-reading Jira after a create whose outcome is unknown. */
  sleep?: Sleep;
  /** Tries per bulk request when the outcome is unknown (5xx, timeout, network). Default 3. */
  maxCreateAttempts?: number;
  /** Delay before reconciling after an unknown outcome, so Jira's search catches up. Default 2000 ms. */
  reconcileDelayMs?: number;
}

export interface CreatedIssueRef {
  itemId: string;
  key: string;
  id: string;
  url: string;
}

export interface CreationResult {
  /** Every item of the breakdown that exists in Jira for this job (created in this run or before). */
  created: CreatedIssueRef[];
  failed: { itemId: string; message: string }[];
  linksCreated: number;
  /** HTTP requests this run sent (retries included). */
  requests: number;
  /** Items adopted from Jira by the label search (created earlier but missing from the ledger). */
  adopted: string[];
  /** Problems that did not stop an item from being created (a link or remote link that failed). */
  warnings: string[];
}

/** The label every issue of a job carries: s2t- plus the first 8 letters/digits of the job id. */
export function jobLabel(jobId: string): string {
  const short = jobId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 8);
  if (!short) throw new AtlassianError('bad_request', `Job id "${jobId}" has no letters or digits to build a Jira label from.`);
  return `s2t-${short}`;
}

const linkKeyFor = (blockerId: string, blockedId: string) => `blocks:${blockerId}->${blockedId}`;
const remoteKeyFor = (itemId: string) => `remote:${itemId}`;

/** Quote a value for JQL: double quotes, with backslash and quote escaped. */
export function jqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

interface Reconciled {
  found: Map<string, { key: string; id: string }>;
  /** linkKeys of Blocks links that already exist between this job's issues. */
  links: Set<string>;
}

async function reconcileByLabel(o: CreateBreakdownOptions, label: string, itemIds: Set<string>): Promise<Reconciled> {
  const found = new Map<string, { key: string; id: string }>();
  const byKey = new Map<string, string>();
  const rawLinks: { from: string; to: string }[] = [];
  // Jira's search index lags behind writes; reconcileIssues asks it to include these ids regardless.
  const known = [...o.ledger.createdItems().values()].map((v) => Number(v.id)).filter(Number.isFinite).slice(-50);
  let nextPageToken: string | undefined;
  do {
    o.signal?.throwIfAborted();
    const page = await o.client.api.issueSearch.searchAndReconsileIssuesUsingJql({
      jql: `project = ${jqlString(o.projectKey)} AND labels = ${jqlString(label)} ORDER BY key ASC`,
      fields: ['summary', 'issuelinks'],
      properties: [ENTITY_PROPERTY_KEY],
      maxResults: 100,
      ...(nextPageToken ? { nextPageToken } : {}),
      ...(known.length ? { reconcileIssues: known } : {}),
    });
    for (const issue of page.issues ?? []) {
      if (!issue.key || !issue.id) continue;
      const prop = (issue.properties as Record<string, unknown> | undefined)?.[ENTITY_PROPERTY_KEY] as { jobId?: unknown; itemId?: unknown } | undefined;
      if (!prop || prop.jobId !== o.jobId || typeof prop.itemId !== 'string' || !itemIds.has(prop.itemId)) continue;
      const existing = found.get(prop.itemId);
      // Should an item already exist twice, keep the oldest and create no third.
      if (!existing || Number(issue.id) < Number(existing.id)) found.set(prop.itemId, { key: issue.key, id: issue.id });
      byKey.set(issue.key, prop.itemId);
      const issueLinks = ((issue.fields as Record<string, unknown> | undefined)?.issuelinks ?? []) as { type?: { name?: string }; outwardIssue?: { key?: string } }[];
      for (const l of issueLinks) if (l.type?.name === 'Blocks' && l.outwardIssue?.key) rawLinks.push({ from: issue.key, to: l.outwardIssue.key });
    }
    nextPageToken = page.isLast === true ? undefined : (page.nextPageToken ?? undefined);
  } while (nextPageToken);
  const links = new Set<string>();
  for (const { from, to } of rawLinks) {
    const a = byKey.get(from);
    const b = byKey.get(to);
    if (a && b) links.add(linkKeyFor(a, b));
  }
  return { found, links };
}

function describeElementErrors(item: FlatItem, elementErrors: unknown): string {
  const e = (elementErrors ?? {}) as { errorMessages?: string[]; errors?: Record<string, string> };
  const parts = [
    ...Object.entries(e.errors ?? {}).map(([field, msg]) => `Jira rejected field ${field} of ${item.level} ${item.item.id} "${item.item.title}": ${msg}`),
    ...(e.errorMessages ?? []).map((m) => `Jira rejected ${item.level} ${item.item.id} "${item.item.title}": ${m}`),
  ];
  return parts.join('; ') || `Jira rejected ${item.level} ${item.item.id} "${item.item.title}" without saying why.`;
}

function unknownOutcome(err: unknown): err is AtlassianError {
  return err instanceof AtlassianError && (err.code === 'server' || err.code === 'timeout' || err.code === 'network');
}

export async function createBreakdownInJira(o: CreateBreakdownOptions): Promise<CreationResult> {
  const startRequests = o.client.requestCount();
  const sleep = o.sleep ?? defaultSleep;
  const maxAttempts = o.maxCreateAttempts ?? 3;
  const label = jobLabel(o.jobId);
  const flat = flattenBreakdown(o.breakdown);
  const total = flat.length;
  const itemIds = new Set(flat.map((x) => x.item.id));
  const failed = new Map<string, string>();
  const warnings: string[] = [];
  const adopted: string[] = [];
  const linked = new Set(o.ledger.linkedKeys?.() ?? []);
  const markLinked = (k: string) => {
    linked.add(k);
    o.ledger.recordLinked?.(k);
  };
  const have = () => o.ledger.createdItems();
  const progress = (phase: CreationProgress['phase'], message: string) =>
    o.onProgress?.({ phase, done: flat.filter((x) => have().has(x.item.id)).length, total, message });

  // 1. What the project accepts.
  progress('metadata', `Reading issue types and fields of project ${o.projectKey}`);
  const meta = await readProjectMeta(o.client, o.projectKey, { overrides: o.mapping });
  const mapping = resolveLevelMapping(meta, o.mapping);
  const types: Record<ItemLevel, IssueTypeMeta> = {
    epic: issueTypeById(meta, mapping.epic),
    story: issueTypeById(meta, mapping.story),
    subtask: issueTypeById(meta, mapping.subtask),
  };
  for (const level of ['epic', 'story', 'subtask'] as const) {
    if (!flat.some((x) => x.level === level)) continue;
    const missing = unfillableRequiredFields(types[level]);
    if (missing.length) {
      throw new AtlassianError('bad_request', `Project ${o.projectKey} requires ${missing.map((m) => `"${m.name}" (${m.fieldId})`).join(', ')} on ${types[level].name}, which Spec2Tickets cannot fill. Make the field optional or give it a default value in Jira, or map '${level}' to another issue type in Settings.`);
    }
  }

  // 2. Adopt what already exists in Jira for this job.
  const adopt = async () => {
    progress('reconcile', `Looking for issues already created for this job (label ${label})`);
    const r = await reconcileByLabel(o, label, itemIds);
    for (const [itemId, ref] of r.found) {
      if (have().has(itemId)) continue;
      o.ledger.recordCreated(itemId, ref);
      adopted.push(itemId);
    }
    for (const k of r.links) if (!linked.has(k)) markLinked(k);
  };
  await adopt();

  // 3. Create level by level; parents exist before their children.
  const buildFields = (x: FlatItem): Record<string, unknown> => {
    const type = types[x.level];
    const fields = type.fields ?? new Map();
    const out: Record<string, unknown> = {
      project: { key: o.projectKey },
      issuetype: { id: type.id },
      summary: x.item.title.slice(0, 255),
      labels: [...new Set([...x.item.labels, label])],
    };
    if (fields.has('description')) {
      out.description = composeIssueDescription({
        description: x.item.description,
        acceptanceCriteria: x.item.acceptanceCriteria,
        source: { pageTitle: o.pageTitle, pageUrl: o.pageUrl, blockIds: x.item.sources },
      });
    }
    if (x.parentId) out.parent = { key: have().get(x.parentId)!.key };
    const priority = fields.get('priority');
    if (priority && (!priority.allowedValues || priority.allowedValues.includes(x.item.priority))) out.priority = { name: x.item.priority };
    const estimate = x.item.estimate;
    if (estimate !== null && x.level === 'story') {
      const sp = storyPointsField(type);
      if (sp) out[sp.fieldId] = estimate;
    }
    if (estimate !== null && x.level === 'subtask' && fields.has('timetracking')) out.timetracking = { originalEstimate: `${Math.round(estimate * 60)}m` };
    const components = fields.get('components');
    if (components && x.item.components.length) {
      const ok = x.item.components.filter((c) => !components.allowedValues || components.allowedValues.includes(c));
      if (ok.length) out.components = ok.map((name) => ({ name }));
    }
    return out;
  };

  for (const level of ['epic', 'story', 'subtask'] as const) {
    const todo: FlatItem[] = [];
    for (const x of flat.filter((f) => f.level === level)) {
      if (have().has(x.item.id)) continue;
      if (x.parentId && !have().has(x.parentId)) {
        failed.set(x.item.id, `Not created because its parent ${x.parentId} could not be created.`);
        continue;
      }
      todo.push(x);
    }
    for (let i = 0; i < todo.length; i += BULK_LIMIT) {
      let chunk = todo.slice(i, i + BULK_LIMIT);
      for (let attempt = 1; chunk.length > 0; attempt++) {
        o.signal?.throwIfAborted();
        progress('create', `Creating ${chunk.length} ${level === 'subtask' ? 'sub-task' : level}${chunk.length === 1 ? '' : 's'} in ${o.projectKey}`);
        let response: { issues?: { id?: string; key?: string }[]; errors?: { failedElementNumber?: number; elementErrors?: unknown }[] };
        try {
          response = await o.client.api.issues.createIssues({
            issueUpdates: chunk.map((x) => ({
              fields: buildFields(x),
              properties: [{ key: ENTITY_PROPERTY_KEY, value: { jobId: o.jobId, itemId: x.item.id } }],
            })),
          });
        } catch (err) {
          const details = err instanceof AtlassianError ? (err.details as typeof response | undefined) : undefined;
          if (err instanceof AtlassianError && err.code === 'bad_request' && Array.isArray(details?.errors)) {
            response = details;
          } else if (unknownOutcome(err) && attempt < maxAttempts) {
            // The create may have happened: ask Jira before trying again.
            await sleep(o.reconcileDelayMs ?? 2000, o.signal);
            await adopt();
            chunk = chunk.filter((x) => !have().has(x.item.id));
            continue;
          } else {
            throw err;
          }
        }
        const failedIdx = new Map<number, unknown>();
        for (const e of response.errors ?? []) if (typeof e.failedElementNumber === 'number') failedIdx.set(e.failedElementNumber, e.elementErrors);
        const createdIssues = [...(response.issues ?? [])];
        chunk.forEach((x, idx) => {
          if (failedIdx.has(idx)) {
            failed.set(x.item.id, describeElementErrors(x, failedIdx.get(idx)));
            return;
          }
          const issue = createdIssues.shift();
          if (issue?.key && issue.id) {
            o.ledger.recordCreated(x.item.id, { key: issue.key, id: issue.id });
            failed.delete(x.item.id);
          }
        });
        break;
      }
    }
  }
  for (const x of flat) if (!have().has(x.item.id) && !failed.has(x.item.id)) failed.set(x.item.id, `Jira did not create ${x.level} ${x.item.id} "${x.item.title}" after ${maxAttempts} attempts; run the creation again to resume.`);

  // 4. Dependencies as "Blocks" links (the dependency blocks the item).
  let linksCreated = 0;
  for (const x of flat) {
    for (const dep of (x.item as Story | Subtask).dependsOn) {
      const k = linkKeyFor(dep, x.item.id);
      const blocker = have().get(dep);
      const blocked = have().get(x.item.id);
      if (linked.has(k) || !blocker || !blocked) continue;
      o.signal?.throwIfAborted();
      progress('links', `Linking ${blocker.key} blocks ${blocked.key}`);
      try {
        // Jira shows the inwardIssue as the one that "blocks" the outwardIssue.
        await o.client.api.issueLinks.linkIssues({ type: { name: 'Blocks' }, inwardIssue: { key: blocker.key }, outwardIssue: { key: blocked.key } });
        markLinked(k);
        linksCreated++;
      } catch (err) {
        if (!(err instanceof AtlassianError) || err.code === 'unauthorized' || err.code === 'rate_limited') throw err;
        warnings.push(`Could not link ${blocker.key} (${dep}) blocks ${blocked.key} (${x.item.id}): ${err.message}`);
      }
    }
  }

  // 5. A link back to the specification on each epic (globalId makes a repeat an update, not a copy).
  for (const x of flat.filter((f) => f.level === 'epic')) {
    const ref = have().get(x.item.id);
    const k = remoteKeyFor(x.item.id);
    if (!ref || linked.has(k)) continue;
    o.signal?.throwIfAborted();
    progress('remote-links', `Linking ${ref.key} to the specification page`);
    try {
      await o.client.api.issueRemoteLinks.createOrUpdateRemoteIssueLink({
        issueIdOrKey: ref.key,
        globalId: `spec2tickets:${o.jobId}:${o.pageUrl}`.slice(0, 255),
        application: { type: 'com.atlassian.confluence', name: 'Confluence' },
        relationship: 'specified in',
        object: { url: o.pageUrl, title: o.pageTitle || o.pageUrl },
      });
      markLinked(k);
    } catch (err) {
      if (!(err instanceof AtlassianError) || err.code === 'unauthorized' || err.code === 'rate_limited') throw err;
      warnings.push(`Could not link ${ref.key} to the specification page: ${err.message}`);
    }
  }

  progress('done', `${flat.filter((x) => have().has(x.item.id)).length} of ${total} items exist in ${o.projectKey}`);
  const base = o.client.baseUrl;
  return {
    created: flat
      .filter((x) => have().has(x.item.id))
      .map((x) => {
        const r = have().get(x.item.id)!;
        return { itemId: x.item.id, key: r.key, id: r.id, url: `${base}/browse/${r.key}` };
      }),
    failed: [...failed].map(([itemId, message]) => ({ itemId, message })),
    linksCreated,
    requests: o.client.requestCount() - startRequests,
    adopted,
    warnings,
  };
}
