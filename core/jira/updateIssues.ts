// Applies a page re-sync to issues that already exist in Jira: an accepted update through Jira's edit
// API (only the accepted fields; descriptions in ADF), one comment per updated issue saying what
// changed on the page, and for an issue whose requirement left the page the `spec-removed` label, a
// comment quoting the removed text and optionally a transition the admin chose. Nothing is deleted.
//
// Every step is recorded as pending before its request and as done the moment Jira answers. A step
// found pending on resume may or may not have happened: Jira is asked (does the issue already read as
// intended, is our comment already there, is the label already set) before anything is sent again,
// so each update is applied once and no comment is written twice.
//
// Jira's bulk edit (/rest/api/3/bulk/issues/fields) is an asynchronous task that sets one value on
// many issues; each issue here gets its own values and its own comment, so each gets its own edit.
//
// An edit sends only the fields the issue's edit screen offers (editmeta). The new text of an accepted
// field the screen lacks goes into the re-sync comment instead, and the edit's ledger record says so
// (written before the edit, so a resumed run comments what the interrupted one meant to).

import { AtlassianError } from '../atlassian/site.ts';
import type { ItemLevel } from '../breakdown/schema.ts';
import type { EditRecord, ResyncField, ResyncStepName, WrittenFields } from '../jobs/resyncStore.ts';
import { adfText, composeIssueDescription, type AdfDoc, type AdfNode } from './adf.ts';
import type { JiraClient } from './client.ts';
import { jobLabel } from './createIssues.ts';
import { readIssues } from './readIssues.ts';

/** Re-exported: re-sync compares descriptions by their text. */
export { adfText };

export const REMOVED_LABEL = 'spec-removed';

/** The ledger the steps are recorded in (ResyncStore implements it). */
export interface ResyncStepLedger {
  /** The step's record; for an edit, what it wrote or is about to write (`inJira` null: recorded before edit screens were read). */
  /** unlabelled: a label step done without the label (Labels is not on the issue's edit screen). */
  step(jobId: string, issueKey: string, step: ResyncStepName): { state: 'pending' | 'done'; written?: WrittenFields | null; inJira?: EditRecord['inJira'] | null; inComment?: ResyncField[]; unlabelled?: boolean } | undefined;
  stepPending(jobId: string, issueKey: string, step: ResyncStepName, edit?: EditRecord): void;
  stepDone(jobId: string, issueKey: string, step: ResyncStepName, extra?: { written?: WrittenFields | EditRecord; jiraUpdated?: string | null; unlabelled?: boolean }): void;
}

/** What Jira says about an issue now. */
export interface IssueState {
  key: string;
  /** Project and issue type: with the status, what the issue's edit screen depends on (null when Jira did not say). */
  projectKey: string | null;
  issueTypeId: string | null;
  summary: string;
  /** The description as plain text (ADF text nodes), whitespace collapsed. */
  descriptionText: string;
  labels: string[];
  status: string | null;
  updated: string | null;
}

/** Jira's timestamps ("2026-12-02T10:00:00.000+0000") as milliseconds; NaN when unreadable. */
export function jiraTime(s: string | null | undefined): number {
  if (!s) return Number.NaN;
  return Date.parse(s.replace(/([+-]\d\d)(\d\d)$/, '$1:$2'));
}

export async function readIssueState(client: JiraClient, key: string, signal?: AbortSignal): Promise<IssueState> {
  signal?.throwIfAborted();
  const res = await client.transport.send({
    method: 'GET',
    path: `/rest/api/3/issue/${encodeURIComponent(key)}`,
    query: { fields: 'summary,description,labels,status,updated,project,issuetype' },
    operation: `reading issue ${key} from Jira`,
  });
  return stateOf(key, (res.body as { fields?: Record<string, unknown> } | undefined)?.fields);
}

const stateOf = (key: string, fields: Record<string, unknown> | undefined): IssueState => {
  const f = (fields ?? {}) as { summary?: unknown; description?: unknown; labels?: unknown; status?: { name?: unknown }; updated?: unknown; project?: { key?: unknown }; issuetype?: { id?: unknown } };
  return {
    key,
    projectKey: typeof f.project?.key === 'string' ? f.project.key : null,
    issueTypeId: typeof f.issuetype?.id === 'string' ? f.issuetype.id : null,
    summary: typeof f.summary === 'string' ? f.summary : '',
    descriptionText: adfText(f.description),
    labels: Array.isArray(f.labels) ? f.labels.filter((l): l is string => typeof l === 'string') : [],
    status: typeof f.status?.name === 'string' ? f.status.name : null,
    updated: typeof f.updated === 'string' ? f.updated : null,
  };
};

/**
 * Many issues at once: one JQL search per 100 keys (core/jira/readIssues.ts), then a read of its own
 * for any key the searches did not return (Jira's index may lag, or the issue is gone — that read says which).
 */
export async function readIssueStates(client: JiraClient, keys: readonly string[], signal?: AbortSignal): Promise<Map<string, IssueState | Error>> {
  const out = new Map<string, IssueState | Error>();
  // Project and issue type with the status: what the issue's edit screen depends on (editScreens).
  const { issues } = await readIssues(client, keys, { fields: ['summary', 'description', 'labels', 'status', 'updated', 'project', 'issuetype'], ...(signal ? { signal } : {}) });
  for (const [key, fields] of issues) out.set(key, stateOf(key, fields));
  for (const key of keys) {
    if (out.has(key)) continue;
    try {
      out.set(key, await readIssueState(client, key, signal));
    } catch (err) {
      if ((err as Error)?.name === 'AbortError') throw err;
      out.set(key, err as Error);
    }
  }
  return out;
}

/** Where an issue's description points back to: the page, and the blocks the item cites. */
export interface SourceNote {
  pageTitle: string;
  pageUrl: string;
  blockIds: readonly string[];
}

/** The description ADF Spec2Tickets writes for these fields (the same shape creation writes). */
export function describeFields(w: Pick<WrittenFields, 'description' | 'acceptanceCriteria'>, source: SourceNote): AdfDoc {
  return composeIssueDescription({ description: w.description, acceptanceCriteria: w.acceptanceCriteria, source: { pageTitle: source.pageTitle, pageUrl: source.pageUrl, blockIds: source.blockIds } });
}

/** What we last wrote to an issue, to tell whether someone changed it in Jira since. */
export interface WrittenBaseline {
  summary: string;
  descriptionText: string;
  /** Jira's `updated` right after our last write, when known (issues edited by re-sync, or created since creation reads it back). */
  jiraUpdated: string | null;
}

/** Which parts of the issue differ from what we wrote (empty: nobody changed it in Jira). */
export function changedInJira(state: IssueState, baseline: WrittenBaseline): string[] {
  const out: string[] = [];
  if (state.summary.trim() !== baseline.summary.slice(0, 255).trim()) out.push('summary');
  if (state.descriptionText !== baseline.descriptionText) out.push('description');
  if (baseline.jiraUpdated && jiraTime(state.updated) > jiraTime(baseline.jiraUpdated) && out.length === 0) out.push('updated');
  return out;
}

/** What changedInJira found, in words: `updated` alone means another field (or the formatting) was edited. */
export const driftWords = (fields: readonly string[]): string => fields.map((f) => (f === 'updated' ? 'another field or the formatting' : f)).join(', ');

const para = (...content: AdfNode[]): AdfNode => ({ type: 'paragraph', content });
const txt = (text: string, href?: string): AdfNode => (href ? { type: 'text', text, marks: [{ type: 'link', attrs: { href } }] } : { type: 'text', text });
const strong = (text: string): AdfNode => ({ type: 'text', text, marks: [{ type: 'strong' }] });

/** The words every comment of a job ends with, so a resume can find a comment it may already have written. */
export const commentMarker = (jobId: string) => `Spec2Tickets re-sync ${jobLabel(jobId)}`;

export interface PageChange {
  pageTitle: string;
  pageUrl: string;
  fromVersion: number | null;
  toVersion: number;
}

const versions = (c: PageChange) => `version ${c.fromVersion ?? '?'} → ${c.toVersion}`;

const FIELD_WORDS: Record<ResyncField, string> = { summary: 'summary', description: 'description', acceptanceCriteria: 'acceptance criteria', estimate: 'estimate' };
/** The fields in the order the issue shows them. */
const FIELD_ORDER: readonly ResyncField[] = ['summary', 'description', 'acceptanceCriteria', 'estimate'];
export const fieldWords = (fields: readonly ResyncField[]): string => fields.map((f) => FIELD_WORDS[f]).join(', ');

/** What the comment carries besides the page change: the fields written, and the new text of those that could not be. */
export interface CommentParts {
  written: readonly ResyncField[];
  inComment: readonly ResyncField[];
  /** The item's fields after the update (the new text the comment quotes). */
  values: WrittenFields;
  /** Why the fields in the comment were not written (see notWrittenWhy). */
  why: string;
}

export function updateComment(jobId: string, change: PageChange, parts: CommentParts): AdfDoc {
  const content: AdfNode[] = [para(txt('The specification page changed ('), txt(versions(change)), txt('): '), txt(change.pageTitle || change.pageUrl, change.pageUrl), txt('.'))];
  if (parts.written.length) content.push(para(txt(`Updated from the page: ${fieldWords(parts.written)}.`)));
  if (parts.inComment.length) {
    const v = parts.values;
    content.push(para(txt(`Not written to the issue's fields (${parts.why}): ${fieldWords(parts.inComment)}. The page's new text:`)));
    if (parts.inComment.includes('summary')) content.push(para(strong('Summary: '), txt(v.summary)));
    if (parts.inComment.includes('description') || parts.inComment.includes('acceptanceCriteria')) {
      // Description and acceptance criteria share Jira's Description field: both are quoted whole.
      if (v.description.trim()) content.push({ type: 'heading', attrs: { level: 3 }, content: [txt('Description')] });
      const doc = composeIssueDescription({ description: v.description, acceptanceCriteria: v.acceptanceCriteria });
      content.push(...doc.content.filter((n) => n.type !== 'paragraph' || (n.content?.length ?? 0) > 0));
    }
    if (parts.inComment.includes('estimate')) content.push(para(strong('Estimate: '), txt(v.estimate === null ? 'none' : String(v.estimate))));
  }
  content.push(para(txt(commentMarker(jobId))));
  return { version: 1, type: 'doc', content };
}

/** labelled false: the issue's edit screen lacks Labels, so the comment does not claim the label. */
export function removedComment(jobId: string, change: PageChange, removedText: readonly string[], labelled = true): AdfDoc {
  return {
    version: 1,
    type: 'doc',
    content: [
      para(
        txt(`This requirement is no longer on the specification page (${versions(change)}): `),
        txt(change.pageTitle || change.pageUrl, change.pageUrl),
        ...(labelled ? [txt('. The issue was labelled '), txt(REMOVED_LABEL), txt(', not deleted.')] : [txt('. The issue was not deleted (nor labelled '), txt(REMOVED_LABEL), txt(": Labels is not on its edit screen in Jira).")]),
      ),
      ...(removedText.length ? [para(txt('Removed from the page:')), { type: 'blockquote', content: removedText.slice(0, 12).map((t) => para(txt(t.slice(0, 2000)))) }] : []),
      para(txt(commentMarker(jobId))),
    ],
  };
}

async function send(client: JiraClient, method: 'PUT' | 'POST' | 'GET', path: string, body: unknown, operation: string, signal?: AbortSignal) {
  signal?.throwIfAborted();
  return client.transport.send({ method, path, body, operation });
}

/** Whether our comment of this job is already on the issue (the newest 100 comments are read). */
async function hasOurComment(client: JiraClient, key: string, jobId: string, signal?: AbortSignal): Promise<boolean> {
  signal?.throwIfAborted();
  const res = await client.transport.send({
    method: 'GET',
    path: `/rest/api/3/issue/${encodeURIComponent(key)}/comment`,
    query: { orderBy: '-created', maxResults: 100 },
    operation: `reading the comments of ${key}`,
  });
  const marker = commentMarker(jobId);
  const comments = ((res.body as { comments?: { body?: unknown }[] } | undefined)?.comments ?? []);
  return comments.some((c) => adfText(c.body).includes(marker));
}

/** Adds a comment once: a pending record on resume means Jira is asked first. */
async function commentOnce(o: { client: JiraClient; ledger: ResyncStepLedger; jobId: string; key: string; body: AdfDoc; signal?: AbortSignal }): Promise<boolean> {
  const had = o.ledger.step(o.jobId, o.key, 'comment');
  if (had?.state === 'done') return false;
  if (had?.state === 'pending' && (await hasOurComment(o.client, o.key, o.jobId, o.signal))) {
    o.ledger.stepDone(o.jobId, o.key, 'comment');
    return true;
  }
  o.ledger.stepPending(o.jobId, o.key, 'comment');
  await send(o.client, 'POST', `/rest/api/3/issue/${encodeURIComponent(o.key)}/comment`, { body: o.body }, `commenting on ${o.key}`, o.signal);
  o.ledger.stepDone(o.jobId, o.key, 'comment');
  return true;
}

export interface IssueUpdate {
  issueKey: string;
  level: ItemLevel;
  /** The fields to change, with their new values (only what the reviewer accepted). */
  changes: Partial<WrittenFields>;
  /** The issue as it reads after the update (accepted values over what we wrote before). */
  result: WrittenFields;
  /** The description's source note after the update. */
  source: SourceNote;
  /** What we wrote before: an issue that differs from it was changed in Jira. */
  baseline: WrittenBaseline;
  /** The reviewer chose to overwrite changes made in Jira. */
  overwriteJira: boolean;
  /** The field that holds story points (stories) or time tracking (sub-tasks), when the type has one. */
  estimateField?: 'timetracking' | string;
}

export type UpdateOutcome =
  /** inComment: accepted fields the edit could not set, whose new text the comment carries; note says so in words. */
  | { status: 'updated'; inComment: ResyncField[]; note?: string }
  | { status: 'unchanged' }
  | { status: 'held'; message: string };

/** The fields of an issue an edit can set (Jira field ids), as its edit screen offers them. */
export type EditScreens = (state: IssueState, signal?: AbortSignal) => Promise<ReadonlySet<string>>;

/**
 * Reads edit screens from Jira's edit metadata (GET /issue/{key}/editmeta), once per project, issue
 * type and status for the life of the returned function (one re-sync run), not once per issue.
 * Jira answers editmeta per issue, but what shapes the answer is shared: the screen scheme gives every
 * issue of a type in a project the same edit screen, field configurations and custom-field contexts
 * are per project and type, and a workflow status can make the issue or some fields read-only
 * (jira.issue.editable, jira.permission.* properties) — hence the status in the key; it comes with
 * the read before the edit at no cost. What stays per issue is the permission to edit at all (a
 * permission scheme may grant Edit Issues to the reporter or assignee only): an answer without any
 * field means that, or a read-only status, and is not taken as the group's. A field a workflow
 * validator refuses anyway shows as Jira's 400 on the edit, which says which field and what to do.
 */
export function editScreens(client: JiraClient): EditScreens {
  const known = new Map<string, ReadonlySet<string>>();
  return async (state, signal) => {
    const group = state.projectKey && state.issueTypeId ? `${state.projectKey}\u0000${state.issueTypeId}\u0000${state.status ?? ''}` : undefined;
    const had = group === undefined ? undefined : known.get(group);
    if (had) return had;
    signal?.throwIfAborted();
    const res = await client.transport.send({ method: 'GET', path: `/rest/api/3/issue/${encodeURIComponent(state.key)}/editmeta`, operation: `reading the edit screen of ${state.key}` });
    const fields = (res.body as { fields?: Record<string, { operations?: unknown } | null> } | undefined)?.fields ?? {};
    // Re-sync sets values (`fields` in the edit), so a field counts when `set` is among its operations.
    const editable = new Set(Object.entries(fields).filter(([, m]) => Array.isArray(m?.operations) && m.operations.includes('set')).map(([id]) => id));
    if (group !== undefined && editable.size > 0) known.set(group, editable);
    return editable;
  };
}

/** The Jira field a re-sync field is written to (description and acceptance criteria share Description; estimate: the type's estimate field, if it has one). */
export const jiraFieldOf = (f: ResyncField, estimateField: string | undefined): string | undefined => (f === 'summary' ? 'summary' : f === 'estimate' ? estimateField : 'description');

/**
 * The re-sync fields (in the order the issue shows them) an edit cannot set on an issue whose edit
 * screen offers these Jira fields: approval puts the new text of those it accepts into the comment.
 * The re-sync plan asks the same before approval, so what it announces is what approval does.
 */
export function notOnEditScreen(editable: ReadonlySet<string> | 'all', estimateField: string | undefined): ResyncField[] {
  return FIELD_ORDER.filter((f) => {
    const id = jiraFieldOf(f, estimateField);
    return !id || (editable !== 'all' && !editable.has(id));
  });
}

/** Why these fields went into the comment, in words a Jira admin can act on. */
export function notWrittenWhy(fields: readonly ResyncField[], estimateField: string | undefined): string {
  const out: string[] = [];
  if (fields.includes('summary')) out.push('Summary is not on the issue\'s edit screen in Jira');
  if (fields.includes('description') || fields.includes('acceptanceCriteria')) out.push('Description is not on the issue\'s edit screen in Jira');
  if (fields.includes('estimate')) out.push(estimateField ? `its estimate field (${estimateField}) is not on the issue's edit screen in Jira` : 'its issue type has no estimate field Spec2Tickets can set');
  return out.join('; ');
}

/** What an admin can do in Jira to have these fields written, or '' when nothing on a screen would (an issue type without an estimate field). */
export function notWrittenFix(fields: readonly ResyncField[], estimateField: string | undefined): string {
  const names: string[] = [];
  if (fields.includes('summary')) names.push('Summary');
  if (fields.includes('description') || fields.includes('acceptanceCriteria')) names.push('Description');
  if (fields.includes('estimate') && estimateField) names.push(`its estimate field (${estimateField})`);
  if (names.length === 0) return '';
  return `add ${names.join(' and ')} to the issue's edit screen in Jira to have ${names.length === 1 ? 'it' : 'them'} written`;
}

/** The edit for the fields the screen offers, and the ledger record of the whole update. */
function planEdit(u: IssueUpdate, editable: ReadonlySet<string> | 'all'): { fields: Record<string, unknown>; record: EditRecord } {
  const lacking = notOnEditScreen(editable, u.estimateField);
  const writes = (f: ResyncField) => u.changes[f] !== undefined && !lacking.includes(f);
  const fields: Record<string, unknown> = {};
  if (writes('summary')) fields.summary = u.changes.summary!.slice(0, 255);
  const description = writes('description') || writes('acceptanceCriteria');
  if (description) fields.description = describeFields(u.result, u.source);
  if (writes('estimate')) {
    const e = u.changes.estimate!;
    if (u.estimateField === 'timetracking') {
      if (e !== null) fields.timetracking = { originalEstimate: `${Math.round(e * 60)}m` };
    } else fields[u.estimateField!] = e;
  }
  return {
    fields,
    record: {
      written: u.result,
      inJira: { summary: writes('summary') ? u.changes.summary!.slice(0, 255) : u.baseline.summary, descriptionText: description ? adfText(fields.description) : u.baseline.descriptionText },
      inComment: FIELD_ORDER.filter((f) => u.changes[f] !== undefined && !writes(f)),
    },
  };
}

/** Whether the issue already reads as the update intends (a pending edit that did happen); fields meant for the comment are not asked of it. */
function reads(state: IssueState, u: IssueUpdate, inComment: readonly ResyncField[]): boolean {
  const writes = (f: ResyncField) => u.changes[f] !== undefined && !inComment.includes(f);
  if (writes('summary') && state.summary !== u.changes.summary!.slice(0, 255)) return false;
  if ((writes('description') || writes('acceptanceCriteria')) && state.descriptionText !== adfText(describeFields(u.result, u.source))) return false;
  return true;
}

/** The ledger's record of an edit; one kept before edit screens were read meant to write every accepted field. */
function recordedEdit(had: ReturnType<ResyncStepLedger['step']>, u: IssueUpdate): EditRecord {
  if (had?.inJira) return { written: had.written ?? u.result, inJira: had.inJira, inComment: had.inComment ?? [] };
  const all = planEdit(u, 'all').record;
  return { ...all, written: had?.written ?? u.result };
}

/**
 * Edits one issue (once) and comments on it (once). An issue someone changed in Jira since we wrote
 * it is held, not overwritten, unless the reviewer chose to overwrite it. Only the fields the issue's
 * edit screen offers are sent; the comment carries the new text of the others.
 */
export async function applyIssueUpdate(o: { client: JiraClient; ledger: ResyncStepLedger; jobId: string; update: IssueUpdate; change: PageChange; screens?: EditScreens; signal?: AbortSignal }): Promise<UpdateOutcome> {
  const { client, ledger, jobId, update: u } = o;
  const key = u.issueKey;
  const accepted = FIELD_ORDER.filter((f) => u.changes[f] !== undefined);
  if (accepted.length === 0) return { status: 'unchanged' };
  const edit = ledger.step(jobId, key, 'edit');
  let record: EditRecord;
  if (edit?.state === 'done') record = recordedEdit(edit, u);
  else {
    const state = await readIssueState(client, key, o.signal);
    const planned = edit?.state === 'pending' ? recordedEdit(edit, u) : undefined;
    if (planned && reads(state, u, planned.inComment)) {
      // The edit went through before the interruption (or had nothing to send); only its record is missing.
      record = planned;
      ledger.stepDone(jobId, key, 'edit', { written: record, jiraUpdated: state.updated });
    } else {
      const drift = changedInJira(state, u.baseline);
      if (drift.length > 0 && !u.overwriteJira) {
        return { status: 'held', message: `${key} was changed in Jira since Spec2Tickets wrote it (${driftWords(drift)}); not overwritten. Choose "overwrite" for it to apply the page's version.` };
      }
      const plan = planEdit(u, await (o.screens ?? editScreens(client))(state, o.signal));
      record = plan.record;
      // Recorded before the request: a resume comments what this run meant to, whatever the screen says by then.
      ledger.stepPending(jobId, key, 'edit', record);
      let jiraUpdated = state.updated;
      if (Object.keys(plan.fields).length > 0) {
        const sent = accepted.filter((f) => !record.inComment.includes(f));
        try {
          await send(client, 'PUT', `/rest/api/3/issue/${encodeURIComponent(key)}`, { fields: plan.fields }, `updating ${key} from the changed page`, o.signal);
        } catch (err) {
          if (err instanceof AtlassianError && err.code === 'bad_request') {
            throw new AtlassianError('bad_request', `Jira refused the update of ${key}: ${err.message}. Check that ${sent.join(', ')} ${sent.length === 1 ? 'is' : 'are'} on the issue's edit screen, or decline that field.`, { status: err.status, details: err.details, cause: err });
          }
          throw err;
        }
        jiraUpdated = (await readIssueState(client, key, o.signal)).updated;
      }
      ledger.stepDone(jobId, key, 'edit', { written: record, jiraUpdated });
    }
  }
  const why = notWrittenWhy(record.inComment, u.estimateField);
  const body = updateComment(jobId, o.change, { written: accepted.filter((f) => !record.inComment.includes(f)), inComment: record.inComment, values: record.written, why });
  if (await commentOnce({ client, ledger, jobId, key, body, signal: o.signal })) {
    // Our own comment moves Jira's `updated` on too: what counts as "changed in Jira" starts after it.
    const after = await readIssueState(client, key, o.signal);
    ledger.stepDone(jobId, key, 'edit', { written: record, jiraUpdated: after.updated });
  }
  if (record.inComment.length === 0) return { status: 'updated', inComment: [] };
  return { status: 'updated', inComment: record.inComment, note: `${key}: ${fieldWords(record.inComment)} not written to the issue (${why}); the new text is in the re-sync comment on it.` };
}

/** Whether an edit screen lets an edit add the `spec-removed` label (Labels is on it). */
export const labelsOnEditScreen = (editable: ReadonlySet<string>): boolean => editable.has('labels');

/** The warning for a removed requirement's issue marked without the label: its edit screen lacks Labels. */
export const unlabelledWarning = (key: string, movedTo?: string): string =>
  `${key} was commented${movedTo ? ` (and moved to ${movedTo})` : ''} but not labelled ${REMOVED_LABEL}: Labels is not on its edit screen in Jira; add Labels to the edit screen to have removed issues labelled.`;

/**
 * Labels an issue `spec-removed`, comments with the removed text, and runs the chosen transition — each once.
 * An issue whose edit screen lacks Labels (the editmeta approval reads, see editScreens) is commented
 * and moved without the label: its label step is recorded done without it (a resume neither labels
 * nor asks again), and a warning names the issue. Jira refusing the label on a screen that has
 * Labels still stops the mark, with what to do.
 */
export async function markIssueRemoved(o: {
  client: JiraClient;
  ledger: ResyncStepLedger;
  jobId: string;
  issueKey: string;
  removedText: readonly string[];
  change: PageChange;
  /** Name of the transition to run (the admin's setting); none when absent. */
  transition?: string;
  /** The edit screen reader of the run (one editmeta per project, issue type and status); a fresh one when absent. */
  screens?: EditScreens;
  signal?: AbortSignal;
}): Promise<{ warnings: string[]; unlabelled: boolean }> {
  const { client, ledger, jobId, issueKey: key } = o;
  const warnings: string[] = [];
  const label = ledger.step(jobId, key, 'label');
  let unlabelled = label?.state === 'done' && label.unlabelled === true;
  if (label?.state !== 'done') {
    const state = await readIssueState(client, key, o.signal);
    if (!state.labels.includes(REMOVED_LABEL) && !labelsOnEditScreen(await (o.screens ?? editScreens(client))(state, o.signal))) {
      // Jira would refuse the label: the step is done without it, and the comment and transition still follow.
      unlabelled = true;
      ledger.stepDone(jobId, key, 'label', { unlabelled: true });
    } else if (!state.labels.includes(REMOVED_LABEL)) {
      // Adding a label twice leaves one: the edit is safe to repeat, so pending needs no check.
      ledger.stepPending(jobId, key, 'label');
      try {
        await send(client, 'PUT', `/rest/api/3/issue/${encodeURIComponent(key)}`, { update: { labels: [{ add: REMOVED_LABEL }] } }, `labelling ${key} ${REMOVED_LABEL}`, o.signal);
      } catch (err) {
        if (err instanceof AtlassianError && err.code === 'bad_request') {
          throw new AtlassianError('bad_request', `Jira refused the label ${REMOVED_LABEL} on ${key}: ${err.message}. Check that Labels is on the issue's edit screen, or decline marking it.`, { status: err.status, details: err.details, cause: err });
        }
        throw err;
      }
      ledger.stepDone(jobId, key, 'label');
    } else ledger.stepDone(jobId, key, 'label');
  }
  await commentOnce({ client, ledger, jobId, key, body: removedComment(jobId, o.change, o.removedText, !unlabelled), signal: o.signal });
  let movedTo: string | undefined;
  if (o.transition && ledger.step(jobId, key, 'transition')?.state !== 'done') {
    const wanted = o.transition.trim().toLowerCase();
    const res = await client.transport.send({ method: 'GET', path: `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`, operation: `reading the transitions of ${key}` });
    const list = ((res.body as { transitions?: { id?: string; name?: string; to?: { name?: string } }[] } | undefined)?.transitions ?? []);
    const t = list.find((x) => x.name?.toLowerCase() === wanted || x.to?.name?.toLowerCase() === wanted);
    const state = await readIssueState(client, key, o.signal);
    if (state.status?.toLowerCase() === wanted || (t?.to?.name && state.status === t.to.name)) {
      ledger.stepDone(jobId, key, 'transition');
      movedTo = state.status ?? o.transition;
    } else if (!t?.id) warnings.push(`${key} has no transition "${o.transition}" from status ${state.status ?? 'unknown'}; it was ${unlabelled ? '' : 'labelled and '}commented only. Check the transition name in the re-sync settings.`);
    else {
      ledger.stepPending(jobId, key, 'transition');
      await send(client, 'POST', `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`, { transition: { id: t.id } }, `moving ${key} to ${t.name}`, o.signal);
      ledger.stepDone(jobId, key, 'transition');
      movedTo = t.to?.name ?? t.name;
    }
  } else if (o.transition) movedTo = o.transition;
  if (unlabelled) warnings.unshift(unlabelledWarning(key, movedTo));
  return { warnings, unlabelled };
}
