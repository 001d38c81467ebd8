// Creates an approved breakdown in Jira, level by level with bulk create, and never duplicates an
// issue: every created issue carries the job label and an entity property { jobId, itemId }, each
// bulk response is written to the ledger before the next request, and before creating anything
// (and after any create whose outcome is unknown) Jira itself is searched by the job label so that
// issues created just before a crash or a lost response are adopted instead of created again.
//
// Dependencies become "Blocks" links inside the create requests themselves (update.issuelinks):
// a link can name only an issue that already exists, so each link rides on whichever of its two
// issues is created later, and a bulk request never holds two items that still need a link between
// them. Only links no create could carry (Linked Issues not on the create screen, an element Jira
// refused because of its links) get a request of their own. Links made at creation are written to
// the ledger with their issue, and the label search reads existing links, so a resumed run never
// links twice.
//
// An item the reviewer decided to "link" to an existing issue (a likely duplicate that is related
// rather than the same) gets a "Relates" link to it the same way: at creation where the create
// screen has Linked Issues, else by a request of its own; the label search reads those links too.
//
// A run goes in phases (createBreakdownInJira at the end reads as the list): the project's issue
// types, the plan (parents, relations, dependencies), adopting what Jira already has, the bulk
// creates level by level, the links no create carried, the links to the page, Jira's `updated` of
// the issues read back (one search per 100), the result. The ledger keeps, with each issue, what
// its create carried for summary and description: the baseline a later re-sync measures edits in
// Jira by. The synchronous work of a bulk request (its body, the ledger writes of its answer) is
// cut into slices so the event loop that serves the listeners keeps turning.

import { flattenBreakdown } from '../breakdown/schema.ts';
import type { Breakdown, FlatItem, ItemLevel } from '../breakdown/schema.ts';
import { AtlassianError } from '../atlassian/site.ts';
import type { AtlassianSite } from '../atlassian/site.ts';
import { defaultSleep } from '../atlassian/transport.ts';
import type { Sleep } from '../atlassian/transport.ts';
import { adfText, composeIssueDescription } from './adf.ts';
import type { AdfDoc } from './adf.ts';
import type { JiraClient } from './client.ts';
import { issueTypeById, mappingHint, readProjectMeta, resolveLevelMapping, storyPointsField, unfillableRequiredFields } from './projectMeta.ts';
import type { IssueTypeMeta, LevelMapping } from './projectMeta.ts';
import { readIssues, SEARCH_LIMIT, type IssueRef } from './readIssues.ts';

export const ENTITY_PROPERTY_KEY = 'spec2tickets';
export const BULK_LIMIT = 50;
/**
 * The longest stretch of synchronous work while a bulk request is built or its answer recorded
 * before the event loop gets a turn: a request of 50 items (descriptions turned into ADF, 50
 * ledger writes) would otherwise hold the loop that serves both listeners for tens of milliseconds.
 */
export const SLICE_MS = 4;

/** What a create request carried for an item, as re-sync compares it with Jira (description as its ADF's text; '' when not sent). */
export interface SentText {
  summary: string;
  descriptionText: string;
}

export interface CreationLedger {
  createdItems(): Map<string, { key: string; id: string }>;
  /** `sent`: what the create carried (absent when unknown); written with the record, in the same row. */
  recordCreated(itemId: string, issue: { key: string; id: string; sent?: SentText }): void;
  /** Jira's `updated` of created issues (item id → timestamp), once this run's own writes to them are over. */
  recordJiraUpdated?(updated: ReadonlyMap<string, string>): void;
  /**
   * Issues from before this job that its creates and links changed (a link is in both issues'
   * history): Jira's `updated` before the run and after it. A recorded baseline still at `before`
   * moves to `after`, so our own writes do not read as a change made in Jira; the times kept by
   * recordTouchedBefore go.
   */
  recordOwnWrites?(changes: readonly { key: string; before: string; after: string }[]): void;
  /** The `before` times, kept before the first create so a run resumed after a kill still has them. */
  recordTouchedBefore?(times: ReadonlyMap<string, string>): void;
  touchedBefore?(): Map<string, string>;
  recordLinked?(linkKey: string): void;
  linkedKeys?(): Set<string>;
  /**
   * The items of a bulk request about to be sent, written before it goes out and cleared once its
   * answer is recorded: a record still there on resume means Jira may have created them unseen.
   */
  recordPendingBulk?(itemIds: string[]): void;
  pendingBulk?(): string[] | undefined;
  clearPendingBulk?(): void;
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
  /** Items to relate to an existing issue ("Relates"): item id → issue key. */
  relatesTo?: ReadonlyMap<string, string>;
  /**
   * Items the reviewer matched to an issue that already exists (item id → issue key): not created;
   * their children go under that issue and dependencies link to it.
   */
  existing?: ReadonlyMap<string, string>;
  mapping?: Partial<LevelMapping>;
  onProgress?: (p: CreationProgress) => void;
  signal?: AbortSignal;
  /** Waits before re-reading Jira after a create whose outcome is unknown. */
  sleep?: Sleep;
  /** Tries per bulk request when the outcome is unknown (5xx, timeout, network). Default 3. */
  maxCreateAttempts?: number;
  /** Delay before reconciling after an unknown outcome, so Jira's search catches up. Default 2000 ms. */
  reconcileDelayMs?: number;
  /**
   * Searches for the items of a bulk request whose answer was lost (one now, more after
   * reconcileDelayMs each) before they are taken as never created. Default 4.
   */
  settleSearches?: number;
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
  /** "Blocks" and "Relates" links made in this run, at creation or by their own request. */
  linksCreated: number;
  /** Of linksCreated, those made as part of creating an issue (no request of their own). */
  linksAtCreation: number;
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
const relatesKeyFor = (itemId: string, issueKey: string) => `relates:${itemId}->${issueKey}`;

/** Quote a value for JQL: double quotes, with backslash and quote escaped. */
export function jqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

interface Dependency {
  blocker: string;
  blocked: string;
  /** Ledger key of the link, e.g. blocks:S1.1->S1.2. */
  key: string;
}

/** One update.issuelinks operation of a create: a link to an existing issue, seen from the new one. */
interface IssueLinkUpdate {
  add: { type: { name: string }; inwardIssue?: { key: string }; outwardIssue?: { key: string } };
}

interface Reconciled {
  found: Map<string, { key: string; id: string }>;
  /** linkKeys of Blocks links between this job's issues, and of Relates links to the issues the reviewer chose. */
  links: Set<string>;
}

/**
 * The issues an item is to be related to ("Relates"): given how to find the key of another item's
 * issue, since on resume that issue may be known only from the same search.
 */
type RelatedOf = (itemId: string, keyOfItem: (itemId: string) => string | undefined) => string[];

async function reconcileByLabel(o: CreateBreakdownOptions, label: string, itemIds: Set<string>, relatedOf: RelatedOf): Promise<Reconciled> {
  const found = new Map<string, { key: string; id: string }>();
  const byKey = new Map<string, string>();
  const rawLinks: { from: string; to: string }[] = [];
  const relatesSeen = new Map<string, Set<string>>();
  // Jira's search index lags behind writes; reconcileIssues asks it to include these ids regardless.
  const known = [...o.ledger.createdItems().values()].map((v) => Number(v.id)).filter(Number.isFinite).slice(-50);
  const links = new Set<string>();
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
      // Seen from this issue: an outwardIssue is one it blocks, an inwardIssue one that blocks it.
      const issueLinks = ((issue.fields as Record<string, unknown> | undefined)?.issuelinks ?? []) as { type?: { name?: string }; inwardIssue?: { key?: string }; outwardIssue?: { key?: string } }[];
      for (const l of issueLinks) {
        if (l.type?.name === 'Relates') {
          const seen = relatesSeen.get(prop.itemId) ?? new Set<string>();
          for (const k of [l.outwardIssue?.key, l.inwardIssue?.key]) if (k) seen.add(k);
          relatesSeen.set(prop.itemId, seen);
        }
        if (l.type?.name !== 'Blocks') continue;
        if (l.outwardIssue?.key) rawLinks.push({ from: issue.key, to: l.outwardIssue.key });
        if (l.inwardIssue?.key) rawLinks.push({ from: l.inwardIssue.key, to: issue.key });
      }
    }
    nextPageToken = page.isLast === true ? undefined : (page.nextPageToken ?? undefined);
  } while (nextPageToken);
  for (const { from, to } of rawLinks) {
    const a = byKey.get(from);
    const b = byKey.get(to);
    if (a && b) links.add(linkKeyFor(a, b));
  }
  const keyOfItem = (itemId: string) => found.get(itemId)?.key ?? o.ledger.createdItems().get(itemId)?.key;
  for (const [itemId, seen] of relatesSeen) {
    for (const key of relatedOf(itemId, keyOfItem)) if (seen.has(key)) links.add(relatesKeyFor(itemId, key));
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

/**
 * The ledger as one run uses it: read from storage once, then kept in memory and updated with every
 * record (each record still goes to storage at once, so a kill loses nothing). Progress events ask
 * which items exist after every request; reading a 1,000-item ledger back each time cost seconds
 * on the event loop.
 */
export function inMemoryLedger(ledger: CreationLedger): CreationLedger & { readonly created: ReadonlyMap<string, { key: string; id: string }> } {
  const created = ledger.createdItems();
  const linked = ledger.linkedKeys?.();
  let pending = ledger.pendingBulk?.();
  return {
    created,
    createdItems: () => new Map(created),
    recordCreated: (itemId, issue) => {
      ledger.recordCreated(itemId, issue);
      created.set(itemId, { key: issue.key, id: issue.id });
    },
    ...(ledger.recordJiraUpdated ? { recordJiraUpdated: (updated: ReadonlyMap<string, string>) => ledger.recordJiraUpdated!(updated) } : {}),
    ...(ledger.recordOwnWrites ? { recordOwnWrites: (changes: readonly { key: string; before: string; after: string }[]) => ledger.recordOwnWrites!(changes) } : {}),
    ...(ledger.recordTouchedBefore ? { recordTouchedBefore: (times: ReadonlyMap<string, string>) => ledger.recordTouchedBefore!(times) } : {}),
    ...(ledger.touchedBefore ? { touchedBefore: () => ledger.touchedBefore!() } : {}),
    ...(ledger.recordLinked
      ? {
          recordLinked: (linkKey: string) => {
            ledger.recordLinked!(linkKey);
            linked?.add(linkKey);
          },
        }
      : {}),
    ...(linked ? { linkedKeys: () => new Set(linked) } : {}),
    ...(ledger.recordPendingBulk
      ? {
          recordPendingBulk: (itemIds: string[]) => {
            ledger.recordPendingBulk!(itemIds);
            pending = [...itemIds];
          },
        }
      : {}),
    ...(ledger.pendingBulk ? { pendingBulk: () => (pending ? [...pending] : undefined) } : {}),
    ...(ledger.clearPendingBulk
      ? {
          clearPendingBulk: () => {
            ledger.clearPendingBulk!();
            pending = undefined;
          },
        }
      : {}),
  };
}

/** Everything one creation run knows and has done so far; each phase below reads and updates it. */
interface Run {
  /** The caller's options, with the ledger kept in memory for the run. */
  o: CreateBreakdownOptions & { ledger: ReturnType<typeof inMemoryLedger> };
  startRequests: number;
  sleep: Sleep;
  maxAttempts: number;
  label: string;
  flat: FlatItem[];
  byId: Map<string, FlatItem>;
  itemIds: Set<string>;
  /** Items to relate to an existing issue, limited to this breakdown. */
  relatesTo: Map<string, string>;
  /** Items the reviewer matched to an issue that already exists. */
  existing: Map<string, { key: string; id: string }>;
  /**
   * What exists in Jira for this breakdown: created by this job (the ledger), or matched by the
   * reviewer. A live view over the run's in-memory ledger: asked per item in every loop, so it copies nothing.
   */
  have: Pick<Map<string, { key: string; id: string }>, 'get' | 'has'>;
  linked: Set<string>;
  failed: Map<string, string>;
  warnings: string[];
  adopted: string[];
  /** Items whose links Jira refused at creation: created again without, linked afterwards. */
  noCarry: Set<string>;
  /** Issues from before this job that this run writes next to: Jira's `updated` before its first create. */
  touchedBefore: Map<string, string>;
  linksAtCreation: number;
  linksCreated: number;
}

/** What the project's issue types make of this breakdown: fixed once the metadata is read. */
interface Plan {
  types: Record<ItemLevel, IssueTypeMeta>;
  jiraParentOf: (x: FlatItem) => string | undefined;
  relatedOf: RelatedOf;
  /** Dependencies between items of this breakdown, once each (blocker blocks blocked). */
  deps: Map<string, Dependency>;
  depsOf: Map<string, Dependency[]>;
}

const LEVELS = ['epic', 'story', 'subtask'] as const;
const LEVEL_NAMES: Record<ItemLevel, [string, string]> = { epic: ['epic', 'epics'], story: ['story', 'stories'], subtask: ['sub-task', 'sub-tasks'] };

/** Lets the event loop turn once SLICE_MS of synchronous work has run since its last turn. */
class LoopSlices {
  private since = performance.now();

  async pause(): Promise<void> {
    if (performance.now() - this.since < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.since = performance.now();
  }
}

function openRun(options: CreateBreakdownOptions): Run {
  const ledger = inMemoryLedger(options.ledger);
  const created = ledger.created;
  const o = { ...options, ledger };
  const flat = flattenBreakdown(o.breakdown);
  const itemIds = new Set(flat.map((x) => x.item.id));
  const existing = new Map([...(o.existing ?? [])].filter(([itemId]) => itemIds.has(itemId)).map(([itemId, key]) => [itemId, { key, id: '' }]));
  return {
    o,
    startRequests: o.client.requestCount(),
    sleep: o.sleep ?? defaultSleep,
    maxAttempts: o.maxCreateAttempts ?? 3,
    label: jobLabel(o.jobId),
    flat,
    byId: new Map(flat.map((x) => [x.item.id, x])),
    itemIds,
    relatesTo: new Map([...(o.relatesTo ?? [])].filter(([itemId]) => itemIds.has(itemId))),
    existing,
    have: {
      get: (itemId) => created.get(itemId) ?? existing.get(itemId),
      has: (itemId) => created.has(itemId) || existing.has(itemId),
    },
    linked: new Set(ledger.linkedKeys?.() ?? []),
    failed: new Map(),
    warnings: [],
    adopted: [],
    noCarry: new Set(),
    touchedBefore: new Map(),
    linksAtCreation: 0,
    linksCreated: 0,
  };
}

function progress(run: Run, phase: CreationProgress['phase'], message: string): void {
  if (!run.o.onProgress) return;
  let done = 0;
  for (const x of run.flat) if (run.have.has(x.item.id)) done++;
  run.o.onProgress({ phase, done, total: run.flat.length, message });
}

function markLinked(run: Run, linkKey: string): void {
  run.linked.add(linkKey);
  run.o.ledger.recordLinked?.(linkKey);
}

/** Phase 1: the issue types the project offers for each level, refusing what cannot be filled. */
async function readIssueTypes(run: Run): Promise<Record<ItemLevel, IssueTypeMeta>> {
  const { o } = run;
  progress(run, 'metadata', `Reading issue types and fields of project ${o.projectKey}`);
  const meta = await readProjectMeta(o.client, o.projectKey, { overrides: o.mapping });
  const mapping = resolveLevelMapping(meta, o.mapping);
  const types: Record<ItemLevel, IssueTypeMeta> = {
    epic: issueTypeById(meta, mapping.epic),
    story: issueTypeById(meta, mapping.story),
    subtask: issueTypeById(meta, mapping.subtask),
  };
  for (const level of LEVELS) {
    if (!run.flat.some((x) => x.level === level)) continue;
    const missing = unfillableRequiredFields(types[level]);
    if (missing.length) {
      throw new AtlassianError('bad_request', `Project ${o.projectKey} requires ${missing.map((m) => `"${m.name}" (${m.fieldId})`).join(', ')} on ${types[level].name}, which Spec2Tickets cannot fill. Make the field optional or give it a default value in Jira, or ${mappingHint(level)}. Nothing was created.`);
    }
  }
  return types;
}

/** Phase 2: parents and relations as the project's hierarchy allows, and the dependency links to make. */
function planRun(run: Run, types: Record<ItemLevel, IssueTypeMeta>): Plan {
  // Jira takes as parent only an issue one hierarchy level up: a sub-task mapped to a standard type
  // (a project without sub-tasks) goes under its story's epic and is related to its story instead.
  const jiraParentOf = (x: FlatItem): string | undefined => {
    const wanted = types[x.level].hierarchyLevel + 1;
    for (let p = x.parentId; p; p = run.byId.get(p)?.parentId) if (types[run.byId.get(p)!.level].hierarchyLevel === wanted) return p;
    return undefined;
  };
  const relatedOf: RelatedOf = (itemId, keyOfItem) => {
    const x = run.byId.get(itemId);
    const out: string[] = [];
    const chosen = run.relatesTo.get(itemId);
    if (chosen) out.push(chosen);
    if (x?.parentId && jiraParentOf(x) !== x.parentId) {
      const parentKey = keyOfItem(x.parentId);
      if (parentKey && !out.includes(parentKey)) out.push(parentKey);
    }
    return out;
  };
  const deps = new Map<string, Dependency>();
  for (const x of run.flat) {
    for (const dep of x.item.dependsOn) {
      if (dep === x.item.id) {
        run.warnings.push(`${x.item.id} "${x.item.title}" depends on itself; no link was made for that.`);
        continue;
      }
      if (!run.itemIds.has(dep)) continue;
      // Two issues that already existed were linked (or not) when they were made; not this job's to change.
      if (run.existing.has(dep) && run.existing.has(x.item.id)) continue;
      const key = linkKeyFor(dep, x.item.id);
      deps.set(key, { blocker: dep, blocked: x.item.id, key });
    }
  }
  const depsOf = new Map<string, Dependency[]>();
  for (const d of deps.values()) {
    for (const id of [d.blocker, d.blocked]) {
      const list = depsOf.get(id);
      if (list) list.push(d);
      else depsOf.set(id, [d]);
    }
  }
  return { types, jiraParentOf, relatedOf, deps, depsOf };
}

const relatedNow = (run: Run, plan: Plan, itemId: string) => plan.relatedOf(itemId, (id) => run.have.get(id)?.key);

/** Phase 3: adopt what already exists in Jira for this job (label search) into the ledger. */
async function adoptExisting(run: Run, plan: Plan): Promise<void> {
  progress(run, 'reconcile', `Looking for issues already created for this job (label ${run.label})`);
  const r = await reconcileByLabel(run.o, run.label, run.itemIds, plan.relatedOf);
  for (const [itemId, ref] of r.found) {
    if (run.have.has(itemId)) continue;
    // Its create's answer was lost: what it carried is what the same item's create carries (the
    // approved breakdown and the project's create screens do not change within a job).
    run.o.ledger.recordCreated(itemId, { ...ref, sent: sentText(issueText(run, plan, run.byId.get(itemId)!)) });
    run.adopted.push(itemId);
  }
  for (const k of r.links) if (!run.linked.has(k)) markLinked(run, k);
}

/**
 * After a bulk request whose answer never arrived: Jira may have created its items, and its search
 * index may not show them yet. Search until every item of that request is found, a bounded
 * number of times; what is still missing then is taken as never created.
 */
async function settlePending(run: Run, plan: Plan): Promise<void> {
  const { o } = run;
  const settleSearches = Math.max(1, o.settleSearches ?? 4);
  const pending = o.ledger.pendingBulk?.() ?? [];
  for (let search = 1; ; search++) {
    await adoptExisting(run, plan);
    const missing = pending.filter((id) => run.itemIds.has(id) && !run.have.has(id));
    if (missing.length === 0) break;
    if (search >= settleSearches) {
      progress(run, 'reconcile', `${missing.length} item${missing.length === 1 ? '' : 's'} of an unanswered request not found in Jira after ${search} searches; creating ${missing.length === 1 ? 'it' : 'them'}`);
      break;
    }
    progress(run, 'reconcile', `Waiting for Jira's search to show ${missing.length} item${missing.length === 1 ? '' : 's'} of an unanswered request`);
    await run.sleep(o.reconcileDelayMs ?? 2000, o.signal);
  }
  o.ledger.clearPendingBulk?.();
}

/** An item's summary and, when its type's create screen has Description, its description with criteria and source. */
function issueText(run: Run, plan: Plan, x: FlatItem): { summary: string; description?: AdfDoc } {
  const { o } = run;
  const summary = x.item.title.slice(0, 255);
  if (!plan.types[x.level].fields?.has('description')) return { summary };
  return {
    summary,
    description: composeIssueDescription({
      description: x.item.description,
      acceptanceCriteria: x.item.acceptanceCriteria,
      source: { pageTitle: o.pageTitle, pageUrl: o.pageUrl, blockIds: x.item.sources },
    }),
  };
}

const sentText = (t: { summary: string; description?: AdfDoc }): SentText => ({ summary: t.summary, descriptionText: t.description ? adfText(t.description) : '' });

/** The fields of one item's create: type, parent, description with its criteria and source, estimates. */
function buildFields(run: Run, plan: Plan, x: FlatItem, text = issueText(run, plan, x)): Record<string, unknown> {
  const { o } = run;
  const type = plan.types[x.level];
  const fields = type.fields ?? new Map();
  const out: Record<string, unknown> = {
    project: { key: o.projectKey },
    issuetype: { id: type.id },
    summary: text.summary,
    labels: [...new Set([...x.item.labels, run.label])],
  };
  if (text.description) out.description = text.description;
  const parentId = plan.jiraParentOf(x);
  if (parentId) out.parent = { key: run.have.get(parentId)!.key };
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
}

const otherEnd = (d: Dependency, itemId: string) => (d.blocker === itemId ? d.blocked : d.blocker);

/** An issue type takes links at creation only when Linked Issues is on its create screen. */
function carriesLinks(plan: Plan, level: ItemLevel): boolean {
  const f = plan.types[level].fields?.get('issuelinks');
  return !!f && (!f.operations || f.operations.includes('add'));
}

/** The links an item can carry now: those to issues that already exist and are not linked yet. */
function linksToCarry(run: Run, plan: Plan, x: FlatItem): { key: string; op: IssueLinkUpdate }[] {
  if (!carriesLinks(plan, x.level) || run.noCarry.has(x.item.id)) return [];
  const out: { key: string; op: IssueLinkUpdate }[] = [];
  for (const related of relatedNow(run, plan, x.item.id)) {
    if (!run.linked.has(relatesKeyFor(x.item.id, related))) out.push({ key: relatesKeyFor(x.item.id, related), op: { add: { type: { name: 'Relates' }, outwardIssue: { key: related } } } });
  }
  for (const d of plan.depsOf.get(x.item.id) ?? []) {
    const other = run.have.get(otherEnd(d, x.item.id));
    if (!other || run.linked.has(d.key)) continue;
    // Seen from the new issue: the issue that blocks it is its inwardIssue ("is blocked by"),
    // the issue it blocks is its outwardIssue ("blocks").
    const side = d.blocked === x.item.id ? 'inwardIssue' : 'outwardIssue';
    out.push({ key: d.key, op: { add: { type: { name: 'Blocks' }, [side]: { key: other.key } } } });
  }
  return out;
}

/**
 * Up to BULK_LIMIT items, none of which still needs a link to another item of the same request
 * (neither exists yet, so neither could name the other); those wait for a later request and then
 * carry the link. Greedy in breakdown order: a chain of dependencies takes two requests, not one per step.
 */
function nextBatch(run: Run, plan: Plan, remaining: FlatItem[], level: ItemLevel): FlatItem[] {
  if (!carriesLinks(plan, level)) return remaining.slice(0, BULK_LIMIT);
  const batch: FlatItem[] = [];
  const inBatch = new Set<string>();
  for (const x of remaining) {
    if (batch.length === BULK_LIMIT) break;
    if ((plan.depsOf.get(x.item.id) ?? []).some((d) => !run.linked.has(d.key) && inBatch.has(otherEnd(d, x.item.id)))) continue;
    batch.push(x);
    inBatch.add(x.item.id);
  }
  return batch;
}

type BulkAnswer = { issues?: { id?: string; key?: string }[]; errors?: { failedElementNumber?: number; elementErrors?: unknown }[] };
type BulkRequest = Parameters<JiraClient['api']['issues']['createIssues']>[0];
/** `sent` is filled in as the request's body is built. */
type BulkPlan = { x: FlatItem; links: { key: string; op: IssueLinkUpdate }[]; sent?: SentText }[];

/** The body of one bulk create, built a slice at a time so the event loop keeps turning. */
async function bulkBody(run: Run, plan: Plan, bulk: BulkPlan): Promise<BulkRequest> {
  const slices = new LoopSlices();
  const issueUpdates: NonNullable<BulkRequest['issueUpdates']> = [];
  for (const entry of bulk) {
    const { x, links } = entry;
    const text = issueText(run, plan, x);
    entry.sent = sentText(text);
    issueUpdates.push({
      fields: buildFields(run, plan, x, text),
      ...(links.length ? { update: { issuelinks: links.map((l) => l.op) } } : {}),
      properties: [{ key: ENTITY_PROPERTY_KEY, value: { jobId: run.o.jobId, itemId: x.item.id } }],
    });
    await slices.pause();
  }
  return { issueUpdates };
}

/**
 * Sends one bulk create, recorded as pending first. Returns Jira's answer (a refusal of some
 * elements included), or undefined when the outcome is unknown and the caller may try again after
 * the items Jira did create were adopted.
 */
async function sendBulk(run: Run, plan: Plan, bulk: BulkPlan, attempt: number): Promise<BulkAnswer | undefined> {
  const { o } = run;
  const body = await bulkBody(run, plan, bulk);
  o.signal?.throwIfAborted();
  o.ledger.recordPendingBulk?.(bulk.map(({ x }) => x.item.id));
  try {
    return await o.client.api.issues.createIssues(body);
  } catch (err) {
    const details = err instanceof AtlassianError ? (err.details as BulkAnswer | undefined) : undefined;
    if (err instanceof AtlassianError && err.code === 'bad_request' && Array.isArray(details?.errors)) return details;
    if (unknownOutcome(err) && attempt < run.maxAttempts) {
      // The create may have happened: ask Jira (issues and their links) before trying again.
      await run.sleep(o.reconcileDelayMs ?? 2000, o.signal);
      await settlePending(run, plan);
      return undefined;
    }
    // Jira answered with a refusal, so nothing was created: the record goes. Anything else
    // (a lost answer, an abort mid-request) may have created issues and keeps it for the resume.
    if (err instanceof AtlassianError && !unknownOutcome(err)) o.ledger.clearPendingBulk?.();
    throw err;
  }
}

/**
 * Writes a bulk answer to the ledger, a slice at a time (each record is committed on its own, and
 * the pending record stays until the last, so a kill in between loses nothing); items whose links
 * alone were refused go back to `remaining`.
 */
async function recordBulkAnswer(run: Run, bulk: BulkPlan, answer: BulkAnswer, remaining: FlatItem[]): Promise<void> {
  const failedIdx = new Map<number, unknown>();
  for (const e of answer.errors ?? []) if (typeof e.failedElementNumber === 'number') failedIdx.set(e.failedElementNumber, e.elementErrors);
  const createdIssues = [...(answer.issues ?? [])];
  const slices = new LoopSlices();
  for (const [idx, { x, links, sent }] of bulk.entries()) {
    if (failedIdx.has(idx)) {
      const why = failedIdx.get(idx) as { errorMessages?: string[]; errors?: Record<string, string> } | undefined;
      if (links.length && !why?.errorMessages?.length && Object.keys(why?.errors ?? {}).join() === 'issuelinks') {
        // Jira refused only the links: create the item without them; they get their own request later.
        run.noCarry.add(x.item.id);
        remaining.push(x);
      } else {
        run.failed.set(x.item.id, describeElementErrors(x, why));
      }
      continue;
    }
    const issue = createdIssues.shift();
    if (issue?.key && issue.id) {
      run.o.ledger.recordCreated(x.item.id, { key: issue.key, id: issue.id, ...(sent ? { sent } : {}) });
      for (const l of links) markLinked(run, l.key);
      run.linksAtCreation += links.length;
      run.failed.delete(x.item.id);
    }
    await slices.pause();
  }
  run.o.ledger.clearPendingBulk?.();
}

/** Phase 4: one level's items in bulk requests; parents exist before their children. */
async function createLevel(run: Run, plan: Plan, level: ItemLevel): Promise<void> {
  const { o } = run;
  let remaining: FlatItem[] = [];
  for (const x of run.flat) {
    if (x.level !== level || run.have.has(x.item.id)) continue;
    if (x.parentId && !run.have.has(x.parentId)) {
      run.failed.set(x.item.id, `Not created because its parent ${x.parentId} could not be created.`);
      continue;
    }
    remaining.push(x);
  }
  while (remaining.length > 0) {
    let chunk = nextBatch(run, plan, remaining, level);
    const taken = new Set(chunk);
    remaining = remaining.filter((x) => !taken.has(x));
    for (let attempt = 1; chunk.length > 0; attempt++) {
      o.signal?.throwIfAborted();
      const bulk: BulkPlan = chunk.map((x) => ({ x, links: linksToCarry(run, plan, x) }));
      const carried = bulk.reduce((n, p) => n + p.links.length, 0);
      progress(run, 'create', `Creating ${chunk.length} ${LEVEL_NAMES[level][chunk.length === 1 ? 0 : 1]} in ${o.projectKey}${carried ? ` with ${carried} dependency link${carried === 1 ? '' : 's'}` : ''}`);
      const answer = await sendBulk(run, plan, bulk, attempt);
      if (!answer) {
        chunk = chunk.filter((x) => !run.have.has(x.item.id));
        continue;
      }
      await recordBulkAnswer(run, bulk, answer, remaining);
      break;
    }
  }
}

/** Makes one link by a request of its own; a failure (other than auth or rate limit) becomes a warning. */
async function linkByRequest(run: Run, linkKey: string, message: string, body: Parameters<JiraClient['api']['issueLinks']['linkIssues']>[0], failure: string): Promise<void> {
  run.o.signal?.throwIfAborted();
  progress(run, 'links', message);
  try {
    await run.o.client.api.issueLinks.linkIssues(body);
    markLinked(run, linkKey);
    run.linksCreated++;
  } catch (err) {
    if (!(err instanceof AtlassianError) || err.code === 'unauthorized' || err.code === 'rate_limited') throw err;
    run.warnings.push(`${failure}: ${err.message}`);
  }
}

/** Phase 5: links no create could carry, "Blocks" (the dependency blocks the item) then "Relates". */
async function linkLeftovers(run: Run, plan: Plan): Promise<void> {
  for (const d of plan.deps.values()) {
    const blocker = run.have.get(d.blocker);
    const blocked = run.have.get(d.blocked);
    if (run.linked.has(d.key) || !blocker || !blocked) continue;
    // POST /issueLink names the issue that "blocks" as inwardIssue.
    await linkByRequest(run, d.key, `Linking ${blocker.key} blocks ${blocked.key}`, { type: { name: 'Blocks' }, inwardIssue: { key: blocker.key }, outwardIssue: { key: blocked.key } }, `Could not link ${blocker.key} (${d.blocker}) blocks ${blocked.key} (${d.blocked})`);
  }
  // "Relates" links (to existing issues, or of a sub-task to its story) that no create could carry.
  for (const [itemId, issueKey] of run.flat.flatMap((x) => relatedNow(run, plan, x.item.id).map((k) => [x.item.id, k] as const))) {
    const ref = run.have.get(itemId);
    const k = relatesKeyFor(itemId, issueKey);
    if (!ref || run.linked.has(k)) continue;
    await linkByRequest(run, k, `Linking ${ref.key} relates to ${issueKey}`, { type: { name: 'Relates' }, inwardIssue: { key: ref.key }, outwardIssue: { key: issueKey } }, `Could not link ${ref.key} (${itemId}) to ${issueKey} as "relates to"`);
  }
}

/** Phase 6: a link back to the specification on each epic (globalId makes a repeat an update, not a copy). */
async function linkEpicsToPage(run: Run): Promise<void> {
  const { o } = run;
  for (const x of run.flat) {
    if (x.level !== 'epic') continue;
    const ref = run.have.get(x.item.id);
    const k = remoteKeyFor(x.item.id);
    // An existing epic the reviewer matched already has its history; it is not this job's to annotate.
    if (!ref || run.linked.has(k) || run.existing.has(x.item.id)) continue;
    o.signal?.throwIfAborted();
    progress(run, 'remote-links', `Linking ${ref.key} to the specification page`);
    try {
      await o.client.api.issueRemoteLinks.createOrUpdateRemoteIssueLink({
        issueIdOrKey: ref.key,
        globalId: `spec2tickets:${o.jobId}:${o.pageUrl}`.slice(0, 255),
        application: { type: 'com.atlassian.confluence', name: 'Confluence' },
        relationship: 'specified in',
        object: { url: o.pageUrl, title: o.pageTitle || o.pageUrl },
      });
      markLinked(run, k);
    } catch (err) {
      if (!(err instanceof AtlassianError) || err.code === 'unauthorized' || err.code === 'rate_limited') throw err;
      run.warnings.push(`Could not link ${ref.key} to the specification page: ${err.message}`);
    }
  }
}

/**
 * Jira's `updated` of these issues by key (core/jira/readIssues.ts): one search per 100, asking Jira
 * to reconcile the 50 newest ids of each (just created, its index may not show them yet); any it still
 * left out get one more search per 50, all reconciled. A search Jira did not answer is in `failed`
 * (how many issues, why).
 */
async function readUpdated(run: Run, refs: readonly IssueRef[]): Promise<{ updated: Map<string, string>; failed: { count: number; message: string }[] }> {
  const { issues, failed } = await readIssues(run.o.client, refs, { fields: ['updated'], reconcile: true, onSearchError: 'collect', ...(run.o.signal ? { signal: run.o.signal } : {}) });
  const updated = new Map<string, string>();
  for (const [key, fields] of issues) if (typeof fields.updated === 'string') updated.set(key, fields.updated);
  return { updated, failed };
}

/**
 * Issues that existed before this job (the reviewer's matches its children go under, the issues
 * to relate to) and that this run's creates and links write next to: Jira's `updated` before the
 * first create, so their baselines can follow our own writes (below). Kept in the ledger before
 * any create: a run resumed after a kill takes the times its first attempt read, from before the
 * writes that attempt may have made. Only when the ledger keeps them.
 */
async function noteTouchedBefore(run: Run): Promise<void> {
  const { ledger } = run.o;
  if (!ledger.recordOwnWrites || !ledger.recordTouchedBefore || !ledger.touchedBefore) return;
  const keys = new Set([...[...run.existing.values()].map((r) => r.key), ...run.relatesTo.values()]);
  if (keys.size === 0) return;
  const kept = ledger.touchedBefore();
  const missing = [...keys].filter((k) => !kept.has(k));
  const read = missing.length ? (await readUpdated(run, missing.map((key) => ({ key })))).updated : new Map<string, string>();
  if (read.size) ledger.recordTouchedBefore(read);
  run.touchedBefore = new Map([...[...kept].filter(([k]) => keys.has(k)), ...read]);
}

/**
 * Phase 7: Jira's `updated` of this job's issues, read once this run's own writes to them (creates,
 * links, page links) are over (one search per 100), into the ledger: a later re-sync tells an edit
 * made in Jira since (any field) from ours by it. Only a ledger that keeps the times is asked. A
 * read that fails leaves them unknown (re-sync then compares summary and description only) with a
 * warning; a kill before the record just means the next run reads them again. The issues from
 * before this job it wrote next to are read again too: a baseline that was their `updated` before
 * this run follows it.
 */
async function readBackUpdated(run: Run): Promise<void> {
  const { o } = run;
  if (!o.ledger.recordJiraUpdated) return;
  const mine = [...o.ledger.created].filter(([itemId]) => run.itemIds.has(itemId));
  const itemOfKey = new Map(mine.map(([itemId, ref]) => [ref.key, itemId]));
  const refs = mine.map(([, ref]) => ref).sort((a, b) => Number(a.id) - Number(b.id));
  // Recorded per search: a thousand rows in one transaction would hold the event loop.
  for (let i = 0; i < refs.length; i += SEARCH_LIMIT) {
    const { updated, failed } = await readUpdated(run, refs.slice(i, i + SEARCH_LIMIT));
    for (const f of failed) {
      run.warnings.push(`Could not read when Jira last updated ${f.count} created issue${f.count === 1 ? '' : 's'} (${f.message}); a later re-sync compares ${f.count === 1 ? 'its' : 'their'} summary and description only.`);
    }
    const byItem = new Map<string, string>();
    for (const [key, at] of updated) byItem.set(itemOfKey.get(key)!, at);
    if (byItem.size) o.ledger.recordJiraUpdated(byItem);
  }
  if (run.touchedBefore.size && o.ledger.recordOwnWrites) {
    const { updated: after, failed: unread } = await readUpdated(run, [...run.touchedBefore.keys()].map((key) => ({ key })));
    const changes = [...run.touchedBefore].flatMap(([key, before]) => {
      const now = after.get(key);
      return now && now !== before ? [{ key, before, after: now }] : [];
    });
    // Unread: the kept times stay for a later run of the job (a retry) to finish with.
    if (unread.length === 0) o.ledger.recordOwnWrites(changes);
  }
}

/** Phase 8: the result, every item that exists in Jira for this job and every one that does not. */
function finish(run: Run): CreationResult {
  const { o, flat, have } = run;
  const exists = flat.filter((x) => have.has(x.item.id));
  progress(run, 'done', `${exists.length} of ${flat.length} items exist in ${o.projectKey}`);
  const base = o.client.baseUrl;
  return {
    created: exists
      .filter((x) => !run.existing.has(x.item.id))
      .map((x) => {
        const r = have.get(x.item.id)!;
        return { itemId: x.item.id, key: r.key, id: r.id, url: `${base}/browse/${r.key}` };
      }),
    failed: [...run.failed].map(([itemId, message]) => ({ itemId, message })),
    linksCreated: run.linksCreated,
    linksAtCreation: run.linksAtCreation,
    requests: o.client.requestCount() - run.startRequests,
    adopted: run.adopted,
    warnings: run.warnings,
  };
}

export async function createBreakdownInJira(options: CreateBreakdownOptions): Promise<CreationResult> {
  const run = openRun(options);
  const plan = planRun(run, await readIssueTypes(run));
  if (run.o.ledger.pendingBulk?.()?.length) await settlePending(run, plan);
  else await adoptExisting(run, plan);
  await noteTouchedBefore(run);
  for (const level of LEVELS) await createLevel(run, plan, level);
  for (const x of run.flat) {
    if (!run.have.has(x.item.id) && !run.failed.has(x.item.id)) run.failed.set(x.item.id, `Jira did not create ${x.level} ${x.item.id} "${x.item.title}" after ${run.maxAttempts} attempts; run the creation again to resume.`);
  }
  run.linksCreated = run.linksAtCreation;
  await linkLeftovers(run, plan);
  await linkEpicsToPage(run);
  await readBackUpdated(run);
  return finish(run);
}
