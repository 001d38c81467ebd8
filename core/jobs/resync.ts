// Re-sync of a changed page: what a new breakdown means for the issues earlier breakdowns of the same
// page put into Jira. Each such issue is traced from the page version it was written from to the
// page as it is now through block lineage (core/jobs/lineage.ts): its blocks unchanged or only moved
// → unchanged; some reworded → a proposed update of the issue from the new item that carries those
// blocks (before/after per field); all gone → a proposal to mark it removed. Each issue is also read
// from Jira: one whose summary or description is no longer what we wrote, or that was updated after
// our last write, is flagged "changed in Jira" and is never overwritten without the reviewer's say.
// What we wrote is the last re-sync edit's record, or for an issue creation made, what the create
// sent and Jira's `updated` after creation as the creation ledger kept them (older ledger rows:
// re-derived from the item, without `updated`).
// The reviewer decides per issue; applying runs after creation, step by step through the ledger.

import { flattenBreakdown, parseBreakdown, type FlatItem, type ItemLevel, type WorkItem } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { SentText } from '../store/ledger.ts';
import type { JobRecord, JobStore } from '../store/types.ts';
import type { JiraClient } from '../jira/client.ts';
import {
  adfText,
  applyIssueUpdate,
  changedInJira,
  describeFields,
  driftWords,
  editScreens,
  jiraTime,
  labelsOnEditScreen,
  markIssueRemoved,
  notOnEditScreen,
  notWrittenFix,
  notWrittenWhy,
  readIssueStates,
  REMOVED_LABEL,
  type IssueState,
  type IssueUpdate,
  type PageChange,
  type SourceNote,
  type WrittenBaseline,
} from '../jira/updateIssues.ts';
import { readProjectMeta, resolveLevelMapping, issueTypeById, storyPointsField, type LevelMapping } from '../jira/projectMeta.ts';
import { blockLineage, wordDiff, type BlockLineage, type BlockLineageEntry, type WordDiffPart } from './lineage.ts';
import { RESYNC_FIELDS, type ResyncDecision, type ResyncField, type ResyncStore, type WrittenFields } from './resyncStore.ts';
import type { StoredComparison } from './runner.ts';

/** Who decided when an item of the new breakdown is the new text of an issue that exists (it is updated, not created). */
export const UPDATES_EXISTING = 'system: updates an existing issue';
/** The settings key of the transition run on issues marked removed (absent: none). */
export const REMOVED_TRANSITION_SETTING = 'resyncRemovedTransition';

export interface FieldChange {
  field: ResyncField;
  before: string | string[] | number | null;
  after: string | string[] | number | null;
  /** Word diff for text fields. */
  diff?: WordDiffPart[];
}

export interface JiraDrift {
  /** What differs from what we wrote: summary, description, or only `updated` (a later edit). */
  fields: string[];
  updated: string | null;
  message: string;
}

interface ProposalBase {
  issueKey: string;
  issueUrl: string;
  level: ItemLevel;
  /** The issue's summary as we wrote it. */
  title: string;
  /** The job whose breakdown wrote the issue last, and the page version it read. */
  fromJobId: string;
  fromVersion: number | null;
  /** What became of the blocks the issue was written from. */
  blocks: BlockLineageEntry[];
  /** Null: nobody changed the issue in Jira since we wrote it (or Jira could not be asked: see plan.jiraCheck). */
  changedInJira: JiraDrift | null;
}

export interface UpdateProposal extends ProposalBase {
  /** The item of the new breakdown that carries the issue's blocks now. */
  itemId: string;
  changes: FieldChange[];
  /** The issue's fields as we wrote them (the base the accepted changes go onto). */
  written: WrittenFields;
  writtenBaseline: WrittenBaseline;
  /** The description's link back to the page after the update. */
  source: SourceNote;
  /**
   * The issue's edit screen in Jira as the plan read it (the editmeta approval reads, once per project,
   * issue type and status): `lacks`, the re-sync fields an edit cannot set there; `estimateField`, the
   * Jira field an estimate goes to (null: the issue type has none). Absent: not known
   * (`editScreenUnknown` says why), or a plan built before edit screens were read at plan time.
   */
  editScreen?: { lacks: ResyncField[]; estimateField: string | null };
  /** The changed fields whose new text approval puts into the re-sync comment instead of the issue ([]: all fit; absent: not known). */
  inComment?: ResyncField[];
  /** Why those fields are not written, in the words of the comment and the job's warning. */
  inCommentWhy?: string;
  /** What an admin can change in Jira to have them written ('' : nothing on a screen would). */
  inCommentFix?: string;
  /** Why it is not known which changed fields the edit screen offers (Jira could not be asked). */
  editScreenUnknown?: string;
}

type InComment = Pick<UpdateProposal, 'inComment' | 'inCommentWhy' | 'inCommentFix'>;

/** Which of these fields approval puts into the comment, and why, from the edit screen the plan read (undefined: not known). */
export function inCommentOf(p: Pick<UpdateProposal, 'editScreen'>, fields: readonly ResyncField[]): InComment | undefined {
  if (!p.editScreen) return undefined;
  const inComment = p.editScreen.lacks.filter((f) => fields.includes(f));
  if (inComment.length === 0) return { inComment };
  const estimateField = p.editScreen.estimateField ?? undefined;
  return { inComment, inCommentWhy: notWrittenWhy(inComment, estimateField), inCommentFix: notWrittenFix(inComment, estimateField) };
}

/** The proposal with its changes replaced, and what goes into the comment worked out for them. */
function withChanges(u: UpdateProposal, changes: FieldChange[], source: SourceNote): UpdateProposal {
  const { inComment: _i, inCommentWhy: _w, inCommentFix: _f, ...rest } = u;
  return { ...rest, changes, source, ...inCommentOf(u, changes.map((c) => c.field)) };
}

export interface MarkProposal extends ProposalBase {
  removedText: string[];
  /**
   * The issue's edit screen as the plan read it (the editmeta approval reads, shared with the updates:
   * once per project, issue type and status): `lacks` ['labels'] when Labels is not on it, so approval
   * comments on the issue (and moves it) without the spec-removed label. Absent: not known
   * (`editScreenUnknown` says why), or a plan built before edit screens were read for marks.
   */
  editScreen?: { lacks: 'labels'[] };
  /** Why it is not known whether the issue's edit screen has Labels (Jira could not be asked). */
  editScreenUnknown?: string;
}

export interface UnchangedIssue extends ProposalBase {
  itemId: string | null;
  /** Its blocks sit under other headings now. */
  moved: boolean;
}

export interface ResyncPlan {
  jobId: string;
  toVersion: number;
  fromVersions: number[];
  lineage: { counts: BlockLineage['counts']; blocks: BlockLineageEntry[] };
  updates: UpdateProposal[];
  marks: MarkProposal[];
  unchanged: UnchangedIssue[];
  /** "ok", or why the issues could not be read from Jira (then nothing is flagged). */
  jiraCheck: string;
}

/** What the collaborators re-sync needs are, passed in (tests wire real ones differently). */
export interface ResyncDeps {
  store: JobStore;
  resync: ResyncStore;
  /**
   * Parses a stored page version. The backend passes its page parser thread: a plan reads every earlier
   * version of the page, and parsing one of 5 MB on the event loop would hold both listeners for seconds.
   */
  parse: (snapshot: { title: string; body: string }) => SpecDocument | Promise<SpecDocument>;
  /** A Jira client for the job's site. */
  jira: (signal: AbortSignal) => Promise<JiraClient>;
  /** The Jira project the job writes to. */
  projectKey: (job: JobRecord) => Promise<string | null>;
  mapping?: () => Promise<Partial<LevelMapping>>;
}

interface Baseline {
  key: string;
  url: string;
  level: ItemLevel;
  jobId: string;
  item: WorkItem;
  written: WrittenFields;
  sources: string[];
  doc: SpecDocument;
  version: number;
  source: SourceNote;
  jiraUpdated: string | null;
  /** What creation sent for summary and description (absent: re-derived from the item, as for issues created before it was kept). */
  sent?: SentText;
  parentKey?: string;
}

const writtenOf = (item: WorkItem): WrittenFields => ({ summary: item.title, description: item.description, acceptanceCriteria: [...item.acceptanceCriteria], estimate: item.estimate });

/** The issues earlier jobs of the page wrote (created, or last updated by a re-sync), each with the page version it was written from. */
async function baselines(deps: ResyncDeps, job: JobRecord): Promise<Baseline[]> {
  const out = new Map<string, Baseline>();
  const marked = deps.resync.markedIssues();
  for (const earlier of await deps.store.listJobs({ pageId: job.pageId, limit: 500 })) {
    if (earlier.id === job.id || earlier.siteUrl !== job.siteUrl) continue;
    const [latest, snapshot, created, decisions] = await Promise.all([
      deps.store.latestBreakdown(earlier.id),
      deps.store.latestSnapshot(earlier.id),
      deps.store.createdIssues(earlier.id),
      deps.store.duplicateDecisions(earlier.id),
    ]);
    if (!latest?.body || !snapshot?.body) continue;
    let flat: Map<string, FlatItem>;
    let doc: SpecDocument;
    try {
      flat = new Map(flattenBreakdown(parseBreakdown(latest.body)).map((x) => [x.item.id, x]));
      doc = await deps.parse({ title: snapshot.title, body: snapshot.body });
    } catch {
      continue;
    }
    const keyOfItem = new Map<string, string>([...decisions.filter((d) => d.decision === 'skip').map((d) => [d.itemId, d.issueKey] as const), ...created.map((c) => [c.itemId, c.key] as const)]);
    const add = (itemId: string, key: string, url: string, written?: WrittenFields, jiraUpdated: string | null = null, sent?: SentText | null) => {
      const x = flat.get(itemId);
      if (!x || marked.has(key)) return;
      out.set(key, {
        key,
        url,
        level: x.level,
        jobId: earlier.id,
        item: x.item,
        written: written ?? writtenOf(x.item),
        sources: [...x.item.sources],
        doc,
        version: snapshot.version,
        source: { pageTitle: snapshot.title, pageUrl: snapshot.webUrl, blockIds: x.item.sources },
        jiraUpdated,
        ...(sent ? { sent } : {}),
        ...(x.parentId && keyOfItem.get(x.parentId) ? { parentKey: keyOfItem.get(x.parentId) } : {}),
      });
    };
    // Creation's own record: what it sent (a project without Description on its create screen got
    // none) and Jira's `updated` after it. Older records have neither: the item's text stands in.
    const recorded = deps.resync.createdBaselines(earlier.id);
    for (const c of created) {
      const r = recorded.get(c.itemId);
      add(c.itemId, c.key, c.url, undefined, r?.jiraUpdated ?? null, r?.sent);
    }
    const plan = deps.resync.plan(earlier.id)?.body as ResyncPlan | null | undefined;
    for (const u of plan?.updates ?? []) {
      const edit = deps.resync.step(earlier.id, u.issueKey, 'edit');
      // What Jira's summary and description read after the edit: a field its edit screen lacked kept the earlier text.
      if (edit?.state === 'done' && edit.written) add(u.itemId, u.issueKey, u.issueUrl, edit.written, edit.jiraUpdated, edit.inJira);
    }
  }
  return [...out.values()];
}

const jaccard = (a: ReadonlySet<string>, b: ReadonlySet<string>) => {
  if (a.size === 0 || b.size === 0) return 0;
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  return common / (a.size + b.size - common);
};

function fieldChanges(before: WrittenFields, item: WorkItem): FieldChange[] {
  const after = writtenOf(item);
  const out: FieldChange[] = [];
  for (const field of RESYNC_FIELDS) {
    const b = before[field];
    const a = after[field];
    if (JSON.stringify(b) === JSON.stringify(a)) continue;
    const text = (v: typeof a) => (Array.isArray(v) ? v.join('\n') : v === null ? '' : String(v));
    out.push({ field, before: b, after: a, ...(field === 'estimate' ? {} : { diff: wordDiff(text(b), text(a)) }) });
  }
  return out;
}

/** What checkJira read: the issues' states (absent: Jira could not be asked, `failure` says why). */
interface JiraRead {
  message: string;
  client?: JiraClient;
  states?: Map<string, IssueState | Error>;
  failure?: string;
}

/** Reads each issue from Jira and says whether it changed there since we wrote it. */
async function checkJira(deps: ResyncDeps, list: { key: string; baseline: WrittenBaseline; set: (d: JiraDrift | null) => void }[], signal: AbortSignal): Promise<JiraRead> {
  if (list.length === 0) return { message: 'ok' };
  let client: JiraClient;
  try {
    client = await deps.jira(signal);
  } catch (err) {
    return { message: `Jira could not be asked whether the issues changed there: ${(err as Error).message}`, failure: (err as Error).message };
  }
  const problems: string[] = [];
  let states: Map<string, IssueState | Error>;
  try {
    states = await readIssueStates(client, list.map((x) => x.key), signal);
  } catch (err) {
    return { message: `Jira could not be asked whether the issues changed there: ${(err as Error).message}`, client, failure: (err as Error).message };
  }
  for (const x of list) {
    const state = states.get(x.key);
    if (!state || state instanceof Error) {
      problems.push(`${x.key}: ${state?.message ?? 'not returned by Jira'}`);
      continue;
    }
    const fields = changedInJira(state, x.baseline);
    x.set(fields.length ? { fields, updated: state.updated, message: `Changed in Jira since Spec2Tickets wrote it (${driftWords(fields)}${state.updated ? `, last updated ${state.updated}` : ''})` } : null);
  }
  return { message: problems.length ? `Some issues could not be read from Jira, so they are not checked for changes there: ${problems.slice(0, 3).join('; ')}` : 'ok', client, states };
}

const isAbort = (err: unknown) => (err as Error)?.name === 'AbortError';

/**
 * Which changed fields of each proposed update the issue's edit screen lacks, asked as approval asks
 * it (editScreens: one editmeta per project, issue type and status; the estimate field from the
 * project's metadata, read once), so the reviewer knows before approving which accepted fields go
 * into the re-sync comment instead of the issue.
 */
async function checkEditScreens(deps: ResyncDeps, job: JobRecord, jira: JiraRead, updates: readonly UpdateProposal[], marks: readonly MarkProposal[], signal: AbortSignal): Promise<void> {
  if (updates.length + marks.length === 0) return;
  const unknown = (u: UpdateProposal, why: string) => {
    u.editScreenUnknown = `Not known whether some of these fields go into the re-sync comment instead (Jira could not be asked for the edit screen of ${u.issueKey}): ${why}`;
  };
  const unknownMark = (m: MarkProposal, why: string) => {
    m.editScreenUnknown = `Not known whether it can be labelled ${REMOVED_LABEL} (Jira could not be asked for the edit screen of ${m.issueKey}): ${why}`;
  };
  const { client, states } = jira;
  if (!client || !states) {
    for (const u of updates) unknown(u, jira.failure ?? 'no answer');
    for (const m of marks) unknownMark(m, jira.failure ?? 'no answer');
    return;
  }
  const screens = editScreens(client);
  // A removed requirement's issue is labelled by an edit: Labels must be on its edit screen.
  for (const m of marks) {
    const state = states.get(m.issueKey);
    if (!state || state instanceof Error) {
      unknownMark(m, state?.message ?? 'not returned by Jira');
      continue;
    }
    if (state.labels.includes(REMOVED_LABEL)) {
      m.editScreen = { lacks: [] }; // already labelled: nothing to send
      continue;
    }
    try {
      m.editScreen = { lacks: labelsOnEditScreen(await screens(state, signal)) ? [] : ['labels'] };
    } catch (err) {
      if (isAbort(err)) throw err;
      unknownMark(m, (err as Error).message);
    }
  }
  if (updates.length === 0) return;
  let estimate: Record<ItemLevel, string | undefined>;
  try {
    estimate = await estimateFieldsOf(deps, job, client)();
  } catch (err) {
    if (isAbort(err)) throw err;
    for (const u of updates) unknown(u, `its estimate field could not be read: ${(err as Error).message}`);
    return;
  }
  for (const u of updates) {
    const state = states.get(u.issueKey);
    if (!state || state instanceof Error) {
      unknown(u, state?.message ?? 'not returned by Jira');
      continue;
    }
    let editable: ReadonlySet<string>;
    try {
      editable = await screens(state, signal);
    } catch (err) {
      if (isAbort(err)) throw err;
      unknown(u, (err as Error).message);
      continue;
    }
    const estimateField = estimate[u.level];
    u.editScreen = { lacks: notOnEditScreen(editable, estimateField), estimateField: estimateField ?? null };
    Object.assign(u, inCommentOf(u, u.changes.map((c) => c.field)));
  }
}

/** The Jira field an estimate is written to, per level (story points, time tracking), from the project's metadata read once on first use. */
function estimateFieldsOf(deps: ResyncDeps, job: JobRecord, client: JiraClient): () => Promise<Record<ItemLevel, string | undefined>> {
  let fields: Promise<Record<ItemLevel, string | undefined>> | undefined;
  const read = async () => {
    const projectKey = await deps.projectKey(job);
    const out: Record<ItemLevel, string | undefined> = { epic: undefined, story: undefined, subtask: undefined };
    if (projectKey) {
      const overrides = (await deps.mapping?.()) ?? {};
      const meta = await readProjectMeta(client, projectKey, { overrides });
      const mapping = resolveLevelMapping(meta, overrides);
      out.story = storyPointsField(issueTypeById(meta, mapping.story))?.fieldId;
      out.subtask = issueTypeById(meta, mapping.subtask).fields?.has('timetracking') ? 'timetracking' : undefined;
    }
    return out;
  };
  return () => (fields ??= read());
}

/**
 * Builds the re-sync plan of a job awaiting review and records, as skip decisions nobody has made
 * otherwise, the items that are the new text of an existing issue (and their parents), so approval
 * updates those issues instead of creating near-duplicates. Returns null when the page put nothing
 * into Jira before.
 */
export async function buildResyncPlan(deps: ResyncDeps, jobId: string, signal: AbortSignal): Promise<ResyncPlan | null> {
  const job = await deps.store.getJob(jobId);
  const latest = await deps.store.latestBreakdown(jobId);
  const snapshot = await deps.store.latestSnapshot(jobId);
  if (!job || !latest?.body || !snapshot?.body) return null;
  const earlier = await baselines(deps, job);
  if (earlier.length === 0) return null;
  const doc = await deps.parse({ title: snapshot.title, body: snapshot.body });
  const flat = flattenBreakdown(parseBreakdown(latest.body));
  const lineages = new Map<string, BlockLineage>();
  const lineageOf = (b: Baseline) => {
    let l = lineages.get(b.jobId);
    if (!l) lineages.set(b.jobId, (l = blockLineage(b.doc, doc)));
    return l;
  };
  const plan: ResyncPlan = { jobId, toVersion: snapshot.version, fromVersions: [], lineage: { counts: { unchanged: 0, changed: 0, moved: 0, new: 0, removed: 0 }, blocks: [] }, updates: [], marks: [], unchanged: [], jiraCheck: 'ok' };
  const taken = new Set<string>();
  const itemFor = new Map<string, string>(); // issue key → new item id
  const checks: Parameters<typeof checkJira>[1] = [];
  const baselineOf = (b: Baseline): WrittenBaseline =>
    b.sent ? { summary: b.sent.summary, descriptionText: b.sent.descriptionText, jiraUpdated: b.jiraUpdated } : { summary: b.written.summary, descriptionText: adfText(describeFields(b.written, b.source)), jiraUpdated: b.jiraUpdated };
  for (const b of earlier) {
    if (b.sources.length === 0) continue; // an epic from a heading: follows its children (below)
    const lineage = lineageOf(b);
    const blocks = b.sources.map((id): BlockLineageEntry => lineage.byOld.get(id) ?? (doc.blocks.some((x) => x.id === id) ? { status: 'unchanged', oldId: id, newId: id } : { status: 'removed', oldId: id }));
    const base = { issueKey: b.key, issueUrl: b.url, level: b.level, title: b.written.summary, fromJobId: b.jobId, fromVersion: b.version, blocks, changedInJira: null };
    if (blocks.every((e) => e.status === 'removed')) {
      const mark: MarkProposal = { ...base, removedText: blocks.map((e) => e.oldText ?? '').filter(Boolean) };
      plan.marks.push(mark);
      checks.push({ key: b.key, baseline: baselineOf(b), set: (d) => (mark.changedInJira = d) });
      continue;
    }
    const mapped = new Set(blocks.map((e) => e.newId).filter((x): x is string => !!x));
    let best: { x: FlatItem; score: number } | undefined;
    for (const x of flat) {
      if (x.level !== b.level || taken.has(x.item.id)) continue;
      const score = jaccard(mapped, new Set(x.item.sources));
      if (score >= 0.5 && (!best || score > best.score)) best = { x, score };
    }
    if (best) {
      taken.add(best.x.item.id);
      itemFor.set(b.key, best.x.item.id);
    }
    const reworded = blocks.some((e) => e.status === 'changed' || e.status === 'removed');
    const changes = best && reworded ? fieldChanges(b.written, best.x.item) : [];
    if (best && changes.length > 0) {
      const u: UpdateProposal = { ...base, itemId: best.x.item.id, changes, written: b.written, writtenBaseline: baselineOf(b), source: { pageTitle: snapshot.title, pageUrl: snapshot.webUrl, blockIds: best.x.item.sources } };
      plan.updates.push(u);
      checks.push({ key: b.key, baseline: u.writtenBaseline, set: (d) => (u.changedInJira = d) });
    } else {
      const same: UnchangedIssue = { ...base, itemId: best?.x.item.id ?? null, moved: blocks.some((e) => e.status === 'moved' || e.moved === true) };
      plan.unchanged.push(same);
      checks.push({ key: b.key, baseline: baselineOf(b), set: (d) => (same.changedInJira = d) });
    }
  }
  const jira = await checkJira(deps, checks, signal);
  plan.jiraCheck = jira.message;
  await checkEditScreens(deps, job, jira, plan.updates, plan.marks, signal);
  plan.fromVersions = [...new Set(earlier.map((b) => b.version))].sort((a, c) => a - c);
  for (const l of lineages.values()) {
    plan.lineage.blocks.push(...l.entries);
    for (const [k, n] of Object.entries(l.counts)) plan.lineage.counts[k as keyof typeof l.counts] += n;
  }
  // Approved meanwhile: its creation did not skip these items, so applying the plan could duplicate them.
  if ((await deps.store.getJob(jobId))?.state !== 'awaiting_review') return null;
  await recordSkips(deps, job, flat, earlier, itemFor, plan);
  deps.resync.savePlan(jobId, plan);
  // The comparison's "no longer on the page" list knew only block ids: a reworded block is not gone.
  const stored = await deps.store.duplicateCandidates(jobId);
  const comparison = stored?.candidates as Partial<StoredComparison> | null | undefined;
  if (comparison && Array.isArray(comparison.noLongerOnPage)) {
    const marked = new Set(plan.marks.map((m) => m.issueKey));
    await deps.store.saveDuplicateCandidates(jobId, { ...comparison, noLongerOnPage: comparison.noLongerOnPage.filter((x) => marked.has(x.key)) });
  }
  return plan;
}

/**
 * The plan against the breakdown as the reviewer left it: each update's "after" is the item's current
 * text (edits in the tree flow into Jira); an update whose item was deleted, or edited back to what
 * Jira has, proposes nothing.
 */
export function withLatestItems(plan: ResyncPlan, breakdown: unknown): ResyncPlan {
  if (!breakdown) return plan;
  const items = new Map(flattenBreakdown(parseBreakdown(breakdown)).map((x) => [x.item.id, x.item]));
  const updates: UpdateProposal[] = [];
  for (const u of plan.updates) {
    const item = items.get(u.itemId);
    const changes = item ? fieldChanges(u.written, item) : [];
    if (item && changes.length) updates.push(withChanges(u, changes, { ...u.source, blockIds: item.sources }));
  }
  return { ...plan, updates };
}

/** Items that are the new text of an existing issue are not created again; nor is a parent all of whose matched children sat under one issue. */
async function recordSkips(deps: ResyncDeps, job: JobRecord, flat: FlatItem[], earlier: Baseline[], itemFor: Map<string, string>, plan: ResyncPlan): Promise<void> {
  if (job.state !== 'awaiting_review') return;
  const decided = new Map((await deps.store.duplicateDecisions(job.id)).map((d) => [d.itemId, d]));
  const skip = async (itemId: string, issueKey: string) => {
    if (decided.has(itemId)) return;
    await deps.store.setDuplicateDecision({ jobId: job.id, itemId, issueKey, decision: 'skip', decidedBy: UPDATES_EXISTING });
    decided.set(itemId, { jobId: job.id, itemId, issueKey, decision: 'skip', decidedBy: UPDATES_EXISTING, decidedAt: '' });
  };
  for (const u of plan.updates) await skip(u.itemId, u.issueKey);
  const byKey = new Map(earlier.map((b) => [b.key, b]));
  const keyOfItem = new Map<string, string>();
  for (const [key, itemId] of itemFor) keyOfItem.set(itemId, key);
  for (const d of decided.values()) if (d.decision === 'skip') keyOfItem.set(d.itemId, d.issueKey);
  for (const level of ['story', 'epic'] as const) {
    for (const parent of flat.filter((x) => x.level === level && x.item.sources.length === 0 && !decided.has(x.item.id))) {
      const children = flat.filter((x) => x.parentId === parent.item.id);
      const parents = new Set(children.map((c) => keyOfItem.get(c.item.id)).filter((k): k is string => !!k).map((k) => byKey.get(k)?.parentKey));
      const [only] = parents;
      if (parents.size === 1 && only) {
        await skip(parent.item.id, only);
        keyOfItem.set(parent.item.id, only);
      }
    }
  }
}

/** What approval will do with one proposal, from the reviewer's decision (or the default). */
export type ResyncAction =
  /** inComment, inCommentWhy, inCommentFix: the accepted fields that go into the re-sync comment instead (absent: not known; see UpdateProposal). */
  | ({ action: 'update'; fields: ResyncField[]; values: Partial<WrittenFields>; overwriteJira: boolean } & InComment)
  | { action: 'mark' }
  | { action: 'decline' }
  /** Changed in Jira and nobody chose to overwrite it: left as it is. */
  | { action: 'hold'; message: string };

export function actionFor(p: UpdateProposal | MarkProposal, decision: ResyncDecision | undefined): ResyncAction {
  if (decision?.decision === 'decline') return { action: 'decline' };
  if (!('changes' in p)) return { action: 'mark' };
  if (p.changedInJira && !decision?.overwriteJira) {
    return { action: 'hold', message: `${p.issueKey} was changed in Jira since Spec2Tickets wrote it: it is not updated unless you choose to overwrite it.` };
  }
  const proposed = new Set(p.changes.map((c) => c.field));
  const fields = (decision?.fields ?? [...proposed]).filter((f) => proposed.has(f) || decision?.edits?.[f] !== undefined);
  const values: Partial<WrittenFields> = {};
  for (const f of fields) {
    const edited = decision?.edits?.[f];
    const after = edited !== undefined ? edited : p.changes.find((c) => c.field === f)?.after;
    (values as Record<string, unknown>)[f] = after;
  }
  if (fields.length === 0) return { action: 'decline' };
  return { action: 'update', fields, values, overwriteJira: decision?.overwriteJira === true, ...inCommentOf(p, fields) };
}

export interface ResyncCounts {
  create: number;
  update: number;
  mark: number;
  unchanged: number;
  /** Updates left alone because the issue changed in Jira and nobody chose to overwrite it. */
  held: number;
  declined: number;
}

export function resyncCounts(plan: ResyncPlan | null, decisions: readonly ResyncDecision[], toCreate: number): ResyncCounts {
  const by = new Map(decisions.map((d) => [d.issueKey, d]));
  const counts: ResyncCounts = { create: toCreate, update: 0, mark: 0, unchanged: plan?.unchanged.length ?? 0, held: 0, declined: 0 };
  for (const p of [...(plan?.updates ?? []), ...(plan?.marks ?? [])]) {
    const a = actionFor(p, by.get(p.issueKey));
    if (a.action === 'update') counts.update++;
    else if (a.action === 'mark') counts.mark++;
    else if (a.action === 'hold') counts.held++;
    else counts.declined++;
  }
  return counts;
}

export interface ResyncOutcome {
  updated: string[];
  /** Updated issues some accepted fields of which went into the re-sync comment instead (their edit screen lacks them); each also has a warning saying why. */
  inComment: { key: string; fields: ResyncField[] }[];
  marked: string[];
  /** Marked issues commented (and moved) without the spec-removed label: Labels is not on their edit screen; each also has a warning saying so. */
  unlabelled: string[];
  held: { key: string; message: string }[];
  warnings: string[];
}

/**
 * The plan's baseline, moved on past this job's own creation: a link (or child) it made to the issue
 * moved Jira's `updated`, and the record followed only if nobody had changed the issue before.
 */
function ownWritesSince(deps: ResyncDeps, job: JobRecord, p: UpdateProposal): WrittenBaseline {
  const planned = p.writtenBaseline;
  if (!planned.jiraUpdated) return planned;
  const recorded = deps.resync.recordedUpdated(job.siteUrl, p.issueKey);
  return recorded && jiraTime(recorded) > jiraTime(planned.jiraUpdated) ? { ...planned, jiraUpdated: recorded } : planned;
}

/** Applies the accepted proposals of an approved job in Jira; safe to run again after any interruption. */
export async function applyResync(deps: ResyncDeps, job: JobRecord, signal: AbortSignal, onProgress?: (message: string) => void): Promise<ResyncOutcome> {
  const outcome: ResyncOutcome = { updated: [], inComment: [], marked: [], unlabelled: [], held: [], warnings: [] };
  const stored = deps.resync.plan(job.id)?.body as ResyncPlan | null | undefined;
  if (!stored || stored.updates.length + stored.marks.length === 0) return outcome;
  const plan = withLatestItems(stored, (await deps.store.latestBreakdown(job.id))?.body);
  const decisions = new Map(deps.resync.decisions(job.id).map((d) => [d.issueKey, d]));
  const snapshot = await deps.store.latestSnapshot(job.id);
  const client = await deps.jira(signal);
  const screens = editScreens(client);
  const change = (fromVersion: number | null): PageChange => ({ pageTitle: snapshot?.title ?? '', pageUrl: snapshot?.webUrl ?? '', fromVersion, toVersion: plan.toVersion });
  const estimateFields = estimateFieldsOf(deps, job, client);
  const estimateField = async (level: ItemLevel) => (await estimateFields())[level];
  for (const p of plan.updates) {
    const a = actionFor(p, decisions.get(p.issueKey));
    if (a.action === 'hold') outcome.held.push({ key: p.issueKey, message: a.message });
    if (a.action !== 'update') continue;
    onProgress?.(`Updating ${p.issueKey} from the changed page`);
    const result: WrittenFields = { ...p.written, ...a.values };
    const update: IssueUpdate = {
      issueKey: p.issueKey,
      level: p.level,
      changes: a.values,
      result,
      source: p.source,
      baseline: ownWritesSince(deps, job, p),
      overwriteJira: a.overwriteJira,
      ...(a.fields.includes('estimate') ? { estimateField: await estimateField(p.level) } : {}),
    };
    const r = await applyIssueUpdate({ client, ledger: deps.resync, jobId: job.id, update, change: change(p.fromVersion), screens, signal });
    if (r.status === 'updated') {
      outcome.updated.push(p.issueKey);
      if (r.inComment.length) outcome.inComment.push({ key: p.issueKey, fields: r.inComment });
      if (r.note) outcome.warnings.push(r.note);
    } else if (r.status === 'held') outcome.held.push({ key: p.issueKey, message: r.message });
  }
  const transition = (await deps.store.getSettings())[REMOVED_TRANSITION_SETTING];
  for (const m of plan.marks) {
    if (actionFor(m, decisions.get(m.issueKey)).action !== 'mark') continue;
    onProgress?.(`Marking ${m.issueKey} as no longer on the page`);
    const r = await markIssueRemoved({ client, ledger: deps.resync, jobId: job.id, issueKey: m.issueKey, removedText: m.removedText, change: change(m.fromVersion), ...(typeof transition === 'string' && transition.trim() ? { transition } : {}), screens, signal });
    outcome.marked.push(m.issueKey);
    if (r.unlabelled) outcome.unlabelled.push(m.issueKey);
    outcome.warnings.push(...r.warnings);
  }
  return outcome;
}

/** The public status's word on the page: its last breakdown that reached Jira, and whether the page changed since. */
export interface PageBreakdownStatus {
  lastBreakdown: { jobId: string; version: number | null; at: string } | null;
  /** The newest page version Spec2Tickets has seen (this job's, another job's, or the caller's). */
  latestKnownVersion: number | null;
  /** Null when no breakdown of the page reached Jira yet. */
  changedSince: boolean | null;
}

export async function pageBreakdownStatus(store: JobStore, job: Pick<JobRecord, 'pageId' | 'siteUrl'>, currentVersion?: number): Promise<PageBreakdownStatus> {
  let last: PageBreakdownStatus['lastBreakdown'] = null;
  let newest: number | null = currentVersion ?? null;
  for (const j of await store.listJobs({ pageId: job.pageId, limit: 500 })) {
    if (j.siteUrl !== job.siteUrl) continue;
    const v = (await store.latestSnapshotVersion(j.id)) ?? null;
    if (v !== null && (newest === null || v > newest)) newest = v;
    if (j.state === 'done' && (!last || j.updatedAt > last.at)) last = { jobId: j.id, version: v, at: j.updatedAt };
  }
  return { lastBreakdown: last, latestKnownVersion: newest, changedSince: last ? (newest !== null && last.version !== null ? newest > last.version : null) : null };
}

/** The steps the job runner calls: build the plan after generation, apply it after creation. */
export interface ResyncSteps {
  plan(args: { jobId: string; signal: AbortSignal }): Promise<ResyncPlan | null>;
  apply(args: { job: JobRecord; signal: AbortSignal; onProgress?: (message: string) => void }): Promise<ResyncOutcome>;
}

export function resyncSteps(deps: ResyncDeps): ResyncSteps {
  return {
    plan: ({ jobId, signal }) => buildResyncPlan(deps, jobId, signal),
    apply: ({ job, signal, onProgress }) => applyResync(deps, job, signal, onProgress),
  };
}


