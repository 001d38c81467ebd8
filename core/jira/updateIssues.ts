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

import { AtlassianError } from '../atlassian/site.ts';
import type { ItemLevel } from '../breakdown/schema.ts';
import type { ResyncStepName, WrittenFields } from '../jobs/resyncStore.ts';
import { adfText, composeIssueDescription, type AdfDoc, type AdfNode } from './adf.ts';
import type { JiraClient } from './client.ts';
import { jobLabel } from './createIssues.ts';

/** Re-exported: re-sync compares descriptions by their text. */
export { adfText };

export const REMOVED_LABEL = 'spec-removed';

/** The ledger the steps are recorded in (ResyncStore implements it). */
export interface ResyncStepLedger {
  step(jobId: string, issueKey: string, step: ResyncStepName): { state: 'pending' | 'done' } | undefined;
  stepPending(jobId: string, issueKey: string, step: ResyncStepName): void;
  stepDone(jobId: string, issueKey: string, step: ResyncStepName, extra?: { written?: WrittenFields; jiraUpdated?: string | null }): void;
}

/** What Jira says about an issue now. */
export interface IssueState {
  key: string;
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
    query: { fields: 'summary,description,labels,status,updated' },
    operation: `reading issue ${key} from Jira`,
  });
  return stateOf(key, (res.body as { fields?: Record<string, unknown> } | undefined)?.fields);
}

const stateOf = (key: string, fields: Record<string, unknown> | undefined): IssueState => {
  const f = (fields ?? {}) as { summary?: unknown; description?: unknown; labels?: unknown; status?: { name?: unknown }; updated?: unknown };
  return {
    key,
    summary: typeof f.summary === 'string' ? f.summary : '',
    descriptionText: adfText(f.description),
    labels: Array.isArray(f.labels) ? f.labels.filter((l): l is string => typeof l === 'string') : [],
    status: typeof f.status?.name === 'string' ? f.status.name : null,
    updated: typeof f.updated === 'string' ? f.updated : null,
  };
};

/**
 * Many issues at once: one JQL search per 100 keys (`key in (…)`), then a read of its own for any key
 * the search did not return (Jira's index may lag, or the issue is gone — that read says which).
 */
export async function readIssueStates(client: JiraClient, keys: readonly string[], signal?: AbortSignal): Promise<Map<string, IssueState | Error>> {
  const out = new Map<string, IssueState | Error>();
  const valid = keys.filter((k) => /^[A-Z][A-Z0-9_]*-[0-9]+$/.test(k));
  for (let i = 0; i < valid.length; i += 100) {
    const chunk = valid.slice(i, i + 100);
    let nextPageToken: string | undefined;
    do {
      signal?.throwIfAborted();
      const res = await client.transport.send({
        method: 'POST',
        path: '/rest/api/3/search/jql',
        body: { jql: `key in (${chunk.join(', ')})`, fields: ['summary', 'description', 'labels', 'status', 'updated'], maxResults: 100, ...(nextPageToken ? { nextPageToken } : {}) },
        operation: `reading ${chunk.length} issues from Jira`,
      });
      const page = (res.body ?? {}) as { issues?: { key?: string; fields?: Record<string, unknown> }[]; isLast?: boolean; nextPageToken?: string };
      for (const issue of page.issues ?? []) if (issue.key && chunk.includes(issue.key)) out.set(issue.key, stateOf(issue.key, issue.fields));
      nextPageToken = page.isLast === false ? page.nextPageToken : undefined;
    } while (nextPageToken);
  }
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

/** The words every comment of a job ends with, so a resume can find a comment it may already have written. */
export const commentMarker = (jobId: string) => `Spec2Tickets re-sync ${jobLabel(jobId)}`;

export interface PageChange {
  pageTitle: string;
  pageUrl: string;
  fromVersion: number | null;
  toVersion: number;
}

const versions = (c: PageChange) => `version ${c.fromVersion ?? '?'} → ${c.toVersion}`;

export function updateComment(jobId: string, change: PageChange, fields: readonly string[]): AdfDoc {
  const names: Record<string, string> = { summary: 'summary', description: 'description', acceptanceCriteria: 'acceptance criteria', estimate: 'estimate' };
  return {
    version: 1,
    type: 'doc',
    content: [
      para(txt('The specification page changed ('), txt(versions(change)), txt('): '), txt(change.pageTitle || change.pageUrl, change.pageUrl), txt('.')),
      para(txt(`Updated from the page: ${fields.map((f) => names[f] ?? f).join(', ')}.`)),
      para(txt(commentMarker(jobId))),
    ],
  };
}

export function removedComment(jobId: string, change: PageChange, removedText: readonly string[]): AdfDoc {
  return {
    version: 1,
    type: 'doc',
    content: [
      para(txt(`This requirement is no longer on the specification page (${versions(change)}): `), txt(change.pageTitle || change.pageUrl, change.pageUrl), txt('. The issue was labelled '), txt(REMOVED_LABEL), txt(', not deleted.')),
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

export type UpdateOutcome = { status: 'updated' } | { status: 'unchanged' } | { status: 'held'; message: string };

function editBody(u: IssueUpdate): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (u.changes.summary !== undefined) fields.summary = u.changes.summary.slice(0, 255);
  if (u.changes.description !== undefined || u.changes.acceptanceCriteria !== undefined) fields.description = describeFields(u.result, u.source);
  if (u.changes.estimate !== undefined && u.estimateField) {
    const e = u.changes.estimate;
    if (u.estimateField === 'timetracking') {
      if (e !== null) fields.timetracking = { originalEstimate: `${Math.round(e * 60)}m` };
    } else fields[u.estimateField] = e;
  }
  return { fields };
}

/** Whether the issue already reads as the update intends (a pending edit that did happen). */
function reads(state: IssueState, u: IssueUpdate): boolean {
  if (u.changes.summary !== undefined && state.summary !== u.changes.summary.slice(0, 255)) return false;
  if ((u.changes.description !== undefined || u.changes.acceptanceCriteria !== undefined) && state.descriptionText !== adfText(describeFields(u.result, u.source))) return false;
  return true;
}

/**
 * Edits one issue (once) and comments on it (once). An issue someone changed in Jira since we wrote
 * it is held, not overwritten, unless the reviewer chose to overwrite it.
 */
export async function applyIssueUpdate(o: { client: JiraClient; ledger: ResyncStepLedger; jobId: string; update: IssueUpdate; change: PageChange; signal?: AbortSignal }): Promise<UpdateOutcome> {
  const { client, ledger, jobId, update: u } = o;
  const key = u.issueKey;
  const body = editBody(u);
  const fieldNames = Object.keys(u.changes).filter((f) => f !== 'estimate' || u.estimateField);
  if (Object.keys(body.fields as object).length === 0) return { status: 'unchanged' };
  const edit = ledger.step(jobId, key, 'edit');
  if (edit?.state !== 'done') {
    const state = await readIssueState(client, key, o.signal);
    if (edit?.state === 'pending' && reads(state, u)) {
      // The edit went through before the interruption; only its record is missing.
      ledger.stepDone(jobId, key, 'edit', { written: u.result, jiraUpdated: state.updated });
    } else {
      const drift = changedInJira(state, u.baseline);
      if (drift.length > 0 && !u.overwriteJira) {
        return { status: 'held', message: `${key} was changed in Jira since Spec2Tickets wrote it (${driftWords(drift)}); not overwritten. Choose "overwrite" for it to apply the page's version.` };
      }
      ledger.stepPending(jobId, key, 'edit');
      try {
        await send(client, 'PUT', `/rest/api/3/issue/${encodeURIComponent(key)}`, body, `updating ${key} from the changed page`, o.signal);
      } catch (err) {
        if (err instanceof AtlassianError && err.code === 'bad_request') {
          throw new AtlassianError('bad_request', `Jira refused the update of ${key}: ${err.message}. Check that ${fieldNames.join(', ')} ${fieldNames.length === 1 ? 'is' : 'are'} on the issue's edit screen, or decline that field.`, { status: err.status, details: err.details, cause: err });
        }
        throw err;
      }
      const after = await readIssueState(client, key, o.signal);
      ledger.stepDone(jobId, key, 'edit', { written: u.result, jiraUpdated: after.updated });
    }
  }
  if (await commentOnce({ client, ledger, jobId, key, body: updateComment(jobId, o.change, fieldNames), signal: o.signal })) {
    // Our own comment moves Jira's `updated` on too: what counts as "changed in Jira" starts after it.
    const after = await readIssueState(client, key, o.signal);
    ledger.stepDone(jobId, key, 'edit', { written: u.result, jiraUpdated: after.updated });
  }
  return { status: 'updated' };
}

/** Labels an issue `spec-removed`, comments with the removed text, and runs the chosen transition — each once. */
export async function markIssueRemoved(o: {
  client: JiraClient;
  ledger: ResyncStepLedger;
  jobId: string;
  issueKey: string;
  removedText: readonly string[];
  change: PageChange;
  /** Name of the transition to run (the admin's setting); none when absent. */
  transition?: string;
  signal?: AbortSignal;
}): Promise<{ warnings: string[] }> {
  const { client, ledger, jobId, issueKey: key } = o;
  const warnings: string[] = [];
  if (ledger.step(jobId, key, 'label')?.state !== 'done') {
    const state = await readIssueState(client, key, o.signal);
    if (!state.labels.includes(REMOVED_LABEL)) {
      // Adding a label twice leaves one: the edit is safe to repeat, so pending needs no check.
      ledger.stepPending(jobId, key, 'label');
      await send(client, 'PUT', `/rest/api/3/issue/${encodeURIComponent(key)}`, { update: { labels: [{ add: REMOVED_LABEL }] } }, `labelling ${key} ${REMOVED_LABEL}`, o.signal);
    }
    ledger.stepDone(jobId, key, 'label');
  }
  await commentOnce({ client, ledger, jobId, key, body: removedComment(jobId, o.change, o.removedText), signal: o.signal });
  if (o.transition && ledger.step(jobId, key, 'transition')?.state !== 'done') {
    const wanted = o.transition.trim().toLowerCase();
    const res = await client.transport.send({ method: 'GET', path: `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`, operation: `reading the transitions of ${key}` });
    const list = ((res.body as { transitions?: { id?: string; name?: string; to?: { name?: string } }[] } | undefined)?.transitions ?? []);
    const t = list.find((x) => x.name?.toLowerCase() === wanted || x.to?.name?.toLowerCase() === wanted);
    const state = await readIssueState(client, key, o.signal);
    if (state.status?.toLowerCase() === wanted || (t?.to?.name && state.status === t.to.name)) ledger.stepDone(jobId, key, 'transition');
    else if (!t?.id) warnings.push(`${key} has no transition "${o.transition}" from status ${state.status ?? 'unknown'}; it was labelled and commented only. Check the transition name in the re-sync settings.`);
    else {
      ledger.stepPending(jobId, key, 'transition');
      await send(client, 'POST', `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`, { transition: { id: t.id } }, `moving ${key} to ${t.name}`, o.signal);
      ledger.stepDone(jobId, key, 'transition');
    }
  }
  return { warnings };
}
