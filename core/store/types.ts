// The job store contract: everything the backend persists (jobs, page snapshots, breakdown versions,
// audit log, created issues, duplicate decisions, API keys, settings). SQLite implements it today;
// the methods are async so a PostgreSQL store can implement the same interface later.

import type { JobState } from '../jobs/states.ts';
import type { CreationLedger } from './ledger.ts';

export interface JobError {
  code: string;
  message: string;
}

export interface JobCounts {
  epics: number;
  stories: number;
  subtasks: number;
  created?: number;
  reused?: number;
}

export interface JobRecord {
  id: string;
  pageId: string;
  siteUrl: string;
  /** Requested page version; null means "the latest when fetched". */
  pageVersion: number | null;
  requestedBy: string;
  /** The Jira project to create issues in; null means the backend's jiraProjectKey setting. */
  projectKey: string | null;
  /** Title of the newest page snapshot (null until the page was fetched). */
  pageTitle: string | null;
  state: JobState;
  progress: Record<string, unknown>;
  error: JobError | null;
  counts: JobCounts | null;
  attempt: number;
  approvedBy: string | null;
  purgedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewJob {
  pageId: string;
  siteUrl: string;
  pageVersion: number | null;
  requestedBy: string;
  /** The Jira project asked for; absent or null means the backend setting. */
  projectKey?: string | null;
}

export interface PageSnapshot {
  jobId: string;
  version: number;
  title: string;
  /** The page's address in Confluence, for links back from the created issues. */
  webUrl: string;
  /** Null once retention has purged it. */
  body: string | null;
  fetchedAt: string;
}

export type BreakdownKind = 'generated' | 'edited';

export interface BreakdownVersion {
  jobId: string;
  versionNo: number;
  kind: BreakdownKind;
  /** The breakdown JSON (already validated); null once retention has purged it. */
  body: unknown;
  author: string;
  createdAt: string;
}

/** A breakdown version without its body: what lists of versions show. */
export type BreakdownVersionInfo = Omit<BreakdownVersion, 'body'>;

export interface AuditEntry {
  id: number;
  jobId: string | null;
  actor: string;
  action: string;
  details: Record<string, unknown>;
  at: string;
}

export interface CreatedIssue {
  jobId: string;
  itemId: string;
  key: string;
  id: string;
  url: string;
  createdAt: string;
}

/** create: create the item anyway; skip: the existing issue covers it; link: create it and relate it to the existing issue. */
export type DuplicateDecisionKind = 'create' | 'skip' | 'link';
export interface DuplicateDecision {
  jobId: string;
  itemId: string;
  issueKey: string;
  decision: DuplicateDecisionKind;
  decidedBy: string;
  decidedAt: string;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The first characters of the key, shown so a person can tell keys apart. */
  prefix: string;
  hash: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface TransitionOptions {
  actor: string;
  /** The state the caller believes the job is in; the transition fails if it is not. */
  from?: JobState | readonly JobState[];
  details?: Record<string, unknown>;
  error?: JobError | null;
  counts?: JobCounts;
  progress?: Record<string, unknown>;
  approvedBy?: string;
  /** Written in the same transaction as the state change. */
  snapshot?: Omit<PageSnapshot, 'jobId' | 'fetchedAt'>;
  breakdown?: { kind: BreakdownKind; body: unknown; author: string };
  incrementAttempt?: boolean;
}

export interface JobFilter {
  states?: JobState[];
  pageId?: string;
  requestedBy?: string;
  limit?: number;
  offset?: number;
}

export interface JobStore {
  /** Creates a job, or returns the open job for the same page, version, requester and project. */
  createOrFindOpenJob(job: NewJob, actor: string): Promise<{ job: JobRecord; created: boolean }>;
  /**
   * Changes the Jira project of a job awaiting review, with an audit row, in one transaction.
   * Returns undefined (and changes nothing) when the job is not awaiting review.
   */
  setJobProject(id: string, projectKey: string | null, actor: string): Promise<JobRecord | undefined>;
  getJob(id: string): Promise<JobRecord | undefined>;
  listJobs(filter?: JobFilter): Promise<JobRecord[]>;
  /** Moves a job to `to` and writes the audit row in one transaction; refuses transitions the state machine forbids. */
  transition(id: string, to: JobState, options: TransitionOptions): Promise<JobRecord>;
  updateProgress(id: string, progress: Record<string, unknown>): Promise<void>;

  latestSnapshot(jobId: string): Promise<PageSnapshot | undefined>;
  /** The version of the newest snapshot, without reading its body. */
  latestSnapshotVersion(jobId: string): Promise<number | undefined>;
  addBreakdownVersion(jobId: string, kind: BreakdownKind, body: unknown, author: string): Promise<BreakdownVersion>;
  breakdownVersions(jobId: string): Promise<BreakdownVersion[]>;
  /** The job's versions, oldest first, without reading (or parsing) any body. */
  breakdownVersionList(jobId: string): Promise<BreakdownVersionInfo[]>;
  latestBreakdown(jobId: string): Promise<BreakdownVersion | undefined>;
  generatedBreakdown(jobId: string): Promise<BreakdownVersion | undefined>;

  audit(entry: { jobId: string | null; actor: string; action: string; details?: Record<string, unknown> }): Promise<void>;
  /** A job's audit trail, or with null the actions not tied to a job (settings, API keys), newest last. */
  auditLog(jobId: string | null, limit?: number): Promise<AuditEntry[]>;
  /**
   * One page of a job's audit trail, newest first: at most `limit` rows older than the row id
   * `before` (all rows when omitted). Read through the (job_id, id) index, so a page costs O(limit)
   * however long the trail is. `nextBefore` is the id to pass for the next older page, null at the oldest.
   */
  auditPage(jobId: string, page: { limit: number; before?: number }): Promise<{ entries: AuditEntry[]; nextBefore: number | null }>;
  /** The job's newest audit row whose action is one of `actions` (an index lookup per action, not a scan of the trail). */
  latestAuditOf(jobId: string, actions: readonly string[]): Promise<AuditEntry | undefined>;
  /** The job's audit rows with action `action` and a row id above `after` (0: all), oldest first, read through the (job_id, action, id) index. */
  auditOf(jobId: string, action: string, after?: number): Promise<AuditEntry[]>;

  recordCreatedIssue(issue: Omit<CreatedIssue, 'createdAt'>): Promise<void>;
  createdIssues(jobId: string): Promise<CreatedIssue[]>;
  /** The synchronous ledger Jira creation records each issue in the moment Jira answers. */
  creationLedger(jobId: string, issueUrl: (key: string) => string): CreationLedger;

  /** Existing Jira issues that look like items of the job (the latest search replaces the previous one). */
  saveDuplicateCandidates(jobId: string, candidates: unknown): Promise<void>;
  duplicateCandidates(jobId: string): Promise<{ candidates: unknown; searchedAt: string } | undefined>;
  setDuplicateDecision(d: Omit<DuplicateDecision, 'decidedAt'>): Promise<void>;
  duplicateDecisions(jobId: string): Promise<DuplicateDecision[]>;
  /**
   * Removes the job's duplicate decisions about issues of one Jira project (key prefix `PROJECT-`),
   * with a `duplicates.cleared {count, reason}` audit row when any were removed; returns how many.
   */
  clearDuplicateDecisions(jobId: string, options: { issueProject: string; reason: string; actor: string }): Promise<number>;

  insertApiKey(key: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'>): Promise<void>;
  apiKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  touchApiKey(id: string, at: string): Promise<void>;
  revokeApiKey(id: string, at: string): Promise<boolean>;

  getSettings(): Promise<Record<string, unknown>>;
  putSettings(values: Record<string, unknown>): Promise<void>;

  /**
   * Deletes page bodies and breakdown bodies of finished jobs last changed before `cutoff`, and the
   * item titles their error and audit details may quote; returns the purged job ids.
   */
  purgeFinishedBefore(cutoff: string, at: string): Promise<string[]>;
  /**
   * Jobs waiting on someone (queued, awaiting review, approved) and untouched since `cutoff`:
   * cancelled with `reason(state)` as their error, then purged like finished jobs, in one
   * transaction. Returns the expired job ids.
   */
  expireWaitingBefore(cutoff: string, at: string, reason: (state: 'queued' | 'awaiting_review' | 'approved') => JobError): Promise<string[]>;
  close(): void;
}
