// The SQLite job store (better-sqlite3): one database file in the data folder, WAL so readers never
// wait for the writer, foreign keys on, a busy timeout so a second process (the `keys` CLI) waits
// instead of failing. Every state change and its audit row are written in one transaction.

import type Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { MIGRATIONS, type Migration } from './migrations.ts';
import { openDatabase, prepareDataFolder } from './dataFiles.ts';
import { FINISHED_STATES, OPEN_STATES, canTransition, JobTransitionError, type JobState } from '../jobs/states.ts';
import type {
  ApiKeyRecord,
  AuditEntry,
  BreakdownKind,
  BreakdownVersion,
  BreakdownVersionInfo,
  CreatedIssue,
  DuplicateDecision,
  JobError,
  JobFilter,
  JobRecord,
  JobStore,
  NewJob,
  PageSnapshot,
  TransitionOptions,
} from './types.ts';
import type { CreationLedger, SentText } from './ledger.ts';

export interface SqliteStoreOptions {
  /** Folder holding spec2tickets.db; created if missing. ':memory:' for a throw-away store. */
  dataDir: string;
  now?: () => Date;
  migrations?: readonly Migration[];
}

type Row = Record<string, unknown>;

const json = (v: unknown): string => JSON.stringify(v);
const parseJson = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback);

const REDACTED = 'removed by retention';

function redactedError(e: JobError): JobError {
  return { code: e.code, message: `The details of this error (${e.code}) were ${REDACTED}: they may have named items of the deleted breakdown.` };
}

/** Audit keys whose text may quote page or breakdown content. */
const CONTENT_KEYS = ['warnings', 'reason', 'message', 'title', 'titles', 'summary'];

/** The details without content-quoting text (null when there is nothing to remove). */
function scrubDetails(details: Record<string, unknown>, keep?: JobError): Record<string, unknown> | null {
  let changed = false;
  const out: Record<string, unknown> = { ...details };
  for (const k of CONTENT_KEYS) {
    if (k in out) {
      out[k] = REDACTED;
      changed = true;
    }
  }
  const err = out.error as JobError | undefined;
  if (err && typeof err === 'object' && typeof err.message === 'string' && !(keep && err.code === keep.code && err.message === keep.message)) {
    out.error = redactedError(err);
    changed = true;
  }
  return changed ? out : null;
}

/** Jobs with the title of their newest page snapshot (the title survives retention; the body does not). */
const JOB_SELECT = `SELECT jobs.*, (SELECT title FROM page_snapshots s WHERE s.job_id = jobs.id ORDER BY s.version DESC LIMIT 1) AS page_title FROM jobs`;

function toJob(r: Row): JobRecord {
  return {
    id: r.id as string,
    pageId: r.page_id as string,
    siteUrl: r.site_url as string,
    pageVersion: (r.page_version as number | null) ?? null,
    requestedBy: r.requested_by as string,
    projectKey: (r.project_key as string | null | undefined) ?? null,
    pageTitle: (r.page_title as string | null | undefined) ?? null,
    state: r.state as JobState,
    progress: parseJson(r.progress, {}),
    error: parseJson(r.error, null),
    counts: parseJson(r.counts, null),
    attempt: r.attempt as number,
    approvedBy: (r.approved_by as string | null) ?? null,
    purgedAt: (r.purged_at as string | null) ?? null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

function toBreakdown(r: Row): BreakdownVersion {
  return {
    jobId: r.job_id as string,
    versionNo: r.version_no as number,
    kind: r.kind as BreakdownKind,
    body: parseJson(r.body, null),
    author: r.author as string,
    createdAt: r.created_at as string,
  };
}

/**
 * One page of a job's audit trail, newest first: a range of the (job_id, id) index read backwards,
 * `limit` rows long. The index is named: with statistics that show few jobs, SQLite would rather walk
 * the table's ids backwards and skip other jobs' rows, which for an old job means the whole table.
 */
export const AUDIT_PAGE_SQL = 'SELECT * FROM audit_log INDEXED BY audit_by_job WHERE job_id = ? AND id < ? ORDER BY id DESC LIMIT ?';
/** The id of a job's newest row of one action: the last entry of the (job_id, action, id) index. */
export const AUDIT_NEWEST_OF_ACTION_SQL = 'SELECT MAX(id) AS id FROM audit_log INDEXED BY audit_by_job_action WHERE job_id = ? AND action = ?';
export const AUDIT_OF_ACTION_SQL = 'SELECT * FROM audit_log INDEXED BY audit_by_job_action WHERE job_id = ? AND action = ? AND id > ? ORDER BY id';

function toAuditEntry(r: Row): AuditEntry {
  return {
    id: r.id as number,
    jobId: (r.job_id as string | null) ?? null,
    actor: r.actor as string,
    action: r.action as string,
    details: parseJson(r.details, {}),
    at: r.at as string,
  };
}

function toApiKey(r: Row): ApiKeyRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    prefix: r.prefix as string,
    hash: r.hash as string,
    createdAt: r.created_at as string,
    lastUsedAt: (r.last_used_at as string | null) ?? null,
    revokedAt: (r.revoked_at as string | null) ?? null,
  };
}

/** Applies pending migrations in order, each in its own transaction. Returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[], now: () => Date): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) => r.version as number));
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new Error(
      `The database was written by a newer Spec2Tickets (schema ${newest}, this version knows ${known}); upgrade Spec2Tickets or use another data folder`,
    );
  }
  const done: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, now().toISOString());
    })();
    done.push(m.version);
  }
  return done;
}

export class SqliteJobStore implements JobStore {
  readonly db: Database.Database;
  private readonly now: () => Date;

  constructor(options: SqliteStoreOptions) {
    this.now = options.now ?? (() => new Date());
    // The folder 0700 and the files 0600; an unusable file is named with what to do (dataFiles.ts).
    const file = options.dataDir === ':memory:' ? ':memory:' : prepareDataFolder(options.dataDir);
    this.db = openDatabase(file, (db) => {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = NORMAL');
      migrate(db, options.migrations ?? MIGRATIONS, this.now);
    });
  }

  private iso(): string {
    return this.now().toISOString();
  }

  private insertAudit(jobId: string | null, actor: string, action: string, details: Record<string, unknown> = {}): void {
    this.db
      .prepare('INSERT INTO audit_log (job_id, actor, action, details, at) VALUES (?, ?, ?, ?, ?)')
      .run(jobId, actor, action, json(details), this.iso());
  }

  private getJobSync(id: string): JobRecord | undefined {
    const r = this.db.prepare(`${JOB_SELECT} WHERE id = ?`).get(id) as Row | undefined;
    return r ? toJob(r) : undefined;
  }

  async createOrFindOpenJob(job: NewJob, actor: string): Promise<{ job: JobRecord; created: boolean }> {
    const projectKey = job.projectKey ?? null;
    return this.db.transaction(() => {
      const open = this.db
        .prepare(
          `${JOB_SELECT} WHERE page_id = ? AND site_url = ? AND requested_by = ? AND page_version IS ? AND project_key IS ?
           AND state IN (${OPEN_STATES.map(() => '?').join(',')}) ORDER BY created_at LIMIT 1`,
        )
        .get(job.pageId, job.siteUrl, job.requestedBy, job.pageVersion, projectKey, ...OPEN_STATES) as Row | undefined;
      if (open) return { job: toJob(open), created: false };
      const id = randomUUID();
      const at = this.iso();
      this.db
        .prepare(
          `INSERT INTO jobs (id, page_id, site_url, page_version, requested_by, project_key, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
        )
        .run(id, job.pageId, job.siteUrl, job.pageVersion, job.requestedBy, projectKey, at, at);
      this.insertAudit(id, actor, 'job.created', { pageId: job.pageId, pageVersion: job.pageVersion, requestedBy: job.requestedBy, projectKey });
      return { job: this.getJobSync(id)!, created: true };
    })();
  }

  async setJobProject(id: string, projectKey: string | null, actor: string): Promise<JobRecord | undefined> {
    return this.db.transaction(() => {
      const job = this.getJobSync(id);
      if (!job || job.state !== 'awaiting_review') return undefined;
      this.db.prepare(`UPDATE jobs SET project_key = ?, updated_at = ? WHERE id = ? AND state = 'awaiting_review'`).run(projectKey, this.iso(), id);
      this.insertAudit(id, actor, 'job.project_changed', { from: job.projectKey, to: projectKey });
      return this.getJobSync(id)!;
    })();
  }

  async getJob(id: string): Promise<JobRecord | undefined> {
    return this.getJobSync(id);
  }

  async listJobs(filter: JobFilter = {}): Promise<JobRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => '?').join(',')})`);
      args.push(...filter.states);
    }
    if (filter.pageId) {
      where.push('page_id = ?');
      args.push(filter.pageId);
    }
    if (filter.requestedBy) {
      where.push('requested_by = ?');
      args.push(filter.requestedBy);
    }
    const sql = `${JOB_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, rowid LIMIT ? OFFSET ?`;
    return (this.db.prepare(sql).all(...args, filter.limit ?? 100, filter.offset ?? 0) as Row[]).map(toJob);
  }

  async transition(id: string, to: JobState, o: TransitionOptions): Promise<JobRecord> {
    return this.db.transaction(() => {
      const job = this.getJobSync(id);
      if (!job) throw new Error(`Job ${id} does not exist`);
      const expected = o.from === undefined ? undefined : typeof o.from === 'string' ? [o.from] : o.from;
      if ((expected && !expected.includes(job.state)) || !canTransition(job.state, to)) {
        throw new JobTransitionError(id, job.state, to);
      }
      const at = this.iso();
      const sets = ['state = ?', 'updated_at = ?'];
      const args: unknown[] = [to, at];
      if (o.error !== undefined) {
        sets.push('error = ?');
        args.push(o.error === null ? null : json(o.error));
      }
      if (o.counts !== undefined) {
        sets.push('counts = ?');
        args.push(json(o.counts));
      }
      if (o.progress !== undefined) {
        sets.push('progress = ?');
        args.push(json(o.progress));
      }
      if (o.approvedBy !== undefined) {
        sets.push('approved_by = ?');
        args.push(o.approvedBy);
      }
      if (o.incrementAttempt) sets.push('attempt = attempt + 1');
      this.db.prepare(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
      if (o.snapshot) {
        this.db
          .prepare('INSERT OR REPLACE INTO page_snapshots (job_id, version, title, web_url, body, fetched_at) VALUES (?, ?, ?, ?, ?, ?)')
          .run(id, o.snapshot.version, o.snapshot.title, o.snapshot.webUrl, o.snapshot.body, at);
      }
      if (o.breakdown) this.addBreakdownSync(id, o.breakdown.kind, o.breakdown.body, o.breakdown.author);
      this.insertAudit(id, o.actor, `state.${to}`, { from: job.state, to, ...(o.details ?? {}), ...(o.error ? { error: o.error } : {}) });
      return this.getJobSync(id)!;
    })();
  }

  async updateProgress(id: string, progress: Record<string, unknown>): Promise<void> {
    // Only a running step reports progress; a late report must not overwrite a finished job's.
    this.db
      .prepare(`UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ? AND state IN ('fetching', 'generating', 'creating')`)
      .run(json(progress), this.iso(), id);
  }

  async latestSnapshot(jobId: string): Promise<PageSnapshot | undefined> {
    const r = this.db.prepare('SELECT * FROM page_snapshots WHERE job_id = ? ORDER BY version DESC LIMIT 1').get(jobId) as Row | undefined;
    if (!r) return undefined;
    return { jobId, version: r.version as number, title: r.title as string, webUrl: r.web_url as string, body: (r.body as string | null) ?? null, fetchedAt: r.fetched_at as string };
  }

  async latestSnapshotVersion(jobId: string): Promise<number | undefined> {
    const r = this.db.prepare('SELECT MAX(version) AS v FROM page_snapshots WHERE job_id = ?').get(jobId) as Row | undefined;
    return (r?.v as number | null | undefined) ?? undefined;
  }

  private addBreakdownSync(jobId: string, kind: BreakdownKind, body: unknown, author: string): BreakdownVersion {
    const next = ((this.db.prepare('SELECT MAX(version_no) AS n FROM breakdown_versions WHERE job_id = ?').get(jobId) as Row).n as number | null) ?? 0;
    this.db
      .prepare('INSERT INTO breakdown_versions (job_id, version_no, kind, body, author, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(jobId, next + 1, kind, json(body), author, this.iso());
    return toBreakdown(this.db.prepare('SELECT * FROM breakdown_versions WHERE job_id = ? AND version_no = ?').get(jobId, next + 1) as Row);
  }

  async addBreakdownVersion(jobId: string, kind: BreakdownKind, body: unknown, author: string): Promise<BreakdownVersion> {
    return this.db.transaction(() => {
      const v = this.addBreakdownSync(jobId, kind, body, author);
      this.insertAudit(jobId, author, `breakdown.${kind}`, { versionNo: v.versionNo });
      return v;
    })();
  }

  async breakdownVersions(jobId: string): Promise<BreakdownVersion[]> {
    return (this.db.prepare('SELECT * FROM breakdown_versions WHERE job_id = ? ORDER BY version_no').all(jobId) as Row[]).map(toBreakdown);
  }

  async breakdownVersionList(jobId: string): Promise<BreakdownVersionInfo[]> {
    const rows = this.db.prepare('SELECT job_id, version_no, kind, author, created_at FROM breakdown_versions WHERE job_id = ? ORDER BY version_no').all(jobId) as Row[];
    return rows.map((r) => ({ jobId: r.job_id as string, versionNo: r.version_no as number, kind: r.kind as BreakdownKind, author: r.author as string, createdAt: r.created_at as string }));
  }

  async latestBreakdown(jobId: string): Promise<BreakdownVersion | undefined> {
    const r = this.db.prepare('SELECT * FROM breakdown_versions WHERE job_id = ? ORDER BY version_no DESC LIMIT 1').get(jobId) as Row | undefined;
    return r ? toBreakdown(r) : undefined;
  }

  async generatedBreakdown(jobId: string): Promise<BreakdownVersion | undefined> {
    const r = this.db
      .prepare(`SELECT * FROM breakdown_versions WHERE job_id = ? AND kind = 'generated' ORDER BY version_no DESC LIMIT 1`)
      .get(jobId) as Row | undefined;
    return r ? toBreakdown(r) : undefined;
  }

  async audit(e: { jobId: string | null; actor: string; action: string; details?: Record<string, unknown> }): Promise<void> {
    this.insertAudit(e.jobId, e.actor, e.action, e.details);
  }

  async auditLog(jobId: string | null, limit = 10_000): Promise<AuditEntry[]> {
    const rows = this.db.prepare('SELECT * FROM (SELECT * FROM audit_log WHERE job_id IS ? ORDER BY id DESC LIMIT ?) ORDER BY id').all(jobId, limit) as Row[];
    return rows.map(toAuditEntry);
  }

  async auditPage(jobId: string, page: { limit: number; before?: number }): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
    // One row more than asked tells whether an older page exists without counting the trail.
    const rows = this.db.prepare(AUDIT_PAGE_SQL).all(jobId, page.before ?? Number.MAX_SAFE_INTEGER, page.limit + 1) as Row[];
    const entries = rows.slice(0, page.limit).map(toAuditEntry);
    return { entries, nextBefore: rows.length > page.limit ? entries.at(-1)!.id : null };
  }

  async latestAuditOf(jobId: string, actions: readonly string[]): Promise<AuditEntry | undefined> {
    // MAX(id) per action is one descent of the (job_id, action, id) index (migration 8); an
    // `action IN (…) ORDER BY id DESC` would walk the job's trail back until it met one.
    const newest = this.db.prepare(AUDIT_NEWEST_OF_ACTION_SQL);
    let id: number | null = null;
    for (const action of actions) {
      const m = (newest.get(jobId, action) as { id: number | null }).id;
      if (m !== null && (id === null || m > id)) id = m;
    }
    if (id === null) return undefined;
    return toAuditEntry(this.db.prepare('SELECT * FROM audit_log WHERE id = ?').get(id) as Row);
  }

  async auditOf(jobId: string, action: string, after = 0): Promise<AuditEntry[]> {
    return (this.db.prepare(AUDIT_OF_ACTION_SQL).all(jobId, action, after) as Row[]).map(toAuditEntry);
  }

  /** Prepared once: Jira creation records every issue the moment it exists, a thousand in a run. */
  private insertCreated: Database.Statement | undefined;

  private recordCreatedSync(i: Omit<CreatedIssue, 'createdAt'>, sent?: SentText): void {
    this.insertCreated ??= this.db.prepare('INSERT OR IGNORE INTO created_issues (job_id, item_id, issue_key, issue_id, url, created_at, sent) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.insertCreated.run(i.jobId, i.itemId, i.key, i.id, i.url, this.iso(), sent ? json({ summary: sent.summary, descriptionText: sent.descriptionText }) : null);
  }

  async recordCreatedIssue(i: Omit<CreatedIssue, 'createdAt'>): Promise<void> {
    this.recordCreatedSync(i);
  }

  async createdIssues(jobId: string): Promise<CreatedIssue[]> {
    return (this.db.prepare('SELECT * FROM created_issues WHERE job_id = ? ORDER BY created_at, rowid').all(jobId) as Row[]).map((r) => ({
      jobId,
      itemId: r.item_id as string,
      key: r.issue_key as string,
      id: r.issue_id as string,
      url: r.url as string,
      createdAt: r.created_at as string,
    }));
  }

  /**
   * The CreationLedger Jira creation writes to: each created issue is committed the moment Jira
   * answers (synchronously, so a kill right after cannot lose it), and read back on resume.
   */
  creationLedger(jobId: string, issueUrl: (key: string) => string): CreationLedger {
    return {
      createdItems: () => {
        const rows = this.db.prepare('SELECT item_id, issue_key, issue_id FROM created_issues WHERE job_id = ?').all(jobId) as Row[];
        return new Map(rows.map((r) => [r.item_id as string, { key: r.issue_key as string, id: r.issue_id as string }]));
      },
      recordCreated: (itemId, issue) => this.recordCreatedSync({ jobId, itemId, key: issue.key, id: issue.id, url: issueUrl(issue.key) }, issue.sent),
      recordJiraUpdated: (updated) => {
        const set = this.db.prepare('UPDATE created_issues SET jira_updated = ? WHERE job_id = ? AND item_id = ?');
        this.db.transaction(() => {
          for (const [itemId, at] of updated) set.run(at, jobId, itemId);
        })();
      },
      recordOwnWrites: (changes) => {
        // Only baselines on this job's site that still hold the time Jira had before our writes.
        const site = `(SELECT id FROM jobs WHERE site_url = (SELECT site_url FROM jobs WHERE id = ?))`;
        const created = this.db.prepare(`UPDATE created_issues SET jira_updated = ? WHERE issue_key = ? AND jira_updated = ? AND job_id IN ${site}`);
        const edited = this.db.prepare(`UPDATE resync_steps SET jira_updated = ? WHERE issue_key = ? AND step = 'edit' AND state = 'done' AND jira_updated = ? AND job_id IN ${site}`);
        this.db.transaction(() => {
          for (const c of changes) {
            created.run(c.after, c.key, c.before, jobId);
            edited.run(c.after, c.key, c.before, jobId);
          }
          this.db.prepare('DELETE FROM creation_touched WHERE job_id = ?').run(jobId);
        })();
      },
      recordTouchedBefore: (times) => {
        const keep = this.db.prepare('INSERT OR IGNORE INTO creation_touched (job_id, issue_key, jira_updated) VALUES (?, ?, ?)');
        this.db.transaction(() => {
          for (const [key, at] of times) keep.run(jobId, key, at);
        })();
      },
      touchedBefore: () =>
        new Map((this.db.prepare('SELECT issue_key, jira_updated FROM creation_touched WHERE job_id = ?').all(jobId) as Row[]).map((r) => [r.issue_key as string, r.jira_updated as string])),
      recordLinked: (linkKey) => {
        this.db.prepare('INSERT OR IGNORE INTO created_links (job_id, link_key, created_at) VALUES (?, ?, ?)').run(jobId, linkKey, this.iso());
      },
      linkedKeys: () =>
        new Set((this.db.prepare('SELECT link_key FROM created_links WHERE job_id = ?').all(jobId) as Row[]).map((r) => r.link_key as string)),
      recordPendingBulk: (itemIds) => {
        this.db.prepare('INSERT OR REPLACE INTO pending_bulk (job_id, item_ids, sent_at) VALUES (?, ?, ?)').run(jobId, json(itemIds), this.iso());
      },
      pendingBulk: () => {
        const r = this.db.prepare('SELECT item_ids FROM pending_bulk WHERE job_id = ?').get(jobId) as Row | undefined;
        const ids = r ? parseJson<unknown>(r.item_ids, []) : undefined;
        return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : undefined;
      },
      clearPendingBulk: () => {
        this.db.prepare('DELETE FROM pending_bulk WHERE job_id = ?').run(jobId);
      },
    };
  }

  async saveDuplicateCandidates(jobId: string, candidates: unknown): Promise<void> {
    this.db.prepare('INSERT OR REPLACE INTO duplicate_candidates (job_id, body, searched_at) VALUES (?, ?, ?)').run(jobId, json(candidates), this.iso());
  }

  async duplicateCandidates(jobId: string): Promise<{ candidates: unknown; searchedAt: string } | undefined> {
    const r = this.db.prepare('SELECT body, searched_at FROM duplicate_candidates WHERE job_id = ?').get(jobId) as Row | undefined;
    return r ? { candidates: parseJson(r.body, null), searchedAt: r.searched_at as string } : undefined;
  }

  async setDuplicateDecision(d: Omit<DuplicateDecision, 'decidedAt'>): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO duplicate_decisions (job_id, item_id, issue_key, decision, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(d.jobId, d.itemId, d.issueKey, d.decision, d.decidedBy, this.iso());
      this.insertAudit(d.jobId, d.decidedBy, 'duplicate.decided', { itemId: d.itemId, issueKey: d.issueKey, decision: d.decision });
    })();
  }

  async clearDuplicateDecisions(jobId: string, options: { issueProject: string; reason: string; actor: string }): Promise<number> {
    const prefix = `${options.issueProject}-`;
    return this.db.transaction(() => {
      // substr, not LIKE: project keys may contain '_', a LIKE wildcard.
      const { changes } = this.db.prepare('DELETE FROM duplicate_decisions WHERE job_id = ? AND substr(issue_key, 1, ?) = ?').run(jobId, prefix.length, prefix);
      if (changes > 0) this.insertAudit(jobId, options.actor, 'duplicates.cleared', { count: changes, reason: options.reason });
      return changes;
    })();
  }

  async duplicateDecisions(jobId: string): Promise<DuplicateDecision[]> {
    return (this.db.prepare('SELECT * FROM duplicate_decisions WHERE job_id = ? ORDER BY item_id').all(jobId) as Row[]).map((r) => ({
      jobId,
      itemId: r.item_id as string,
      issueKey: r.issue_key as string,
      decision: r.decision as DuplicateDecision['decision'],
      decidedBy: r.decided_by as string,
      decidedAt: r.decided_at as string,
    }));
  }

  async insertApiKey(k: Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt'>): Promise<void> {
    this.db.prepare('INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)').run(k.id, k.name, k.prefix, k.hash, k.createdAt);
  }

  async apiKeysByPrefix(prefix: string): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys WHERE prefix = ?').all(prefix) as Row[]).map(toApiKey);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, rowid').all() as Row[]).map(toApiKey);
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const r = this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row | undefined;
    return r ? toApiKey(r) : undefined;
  }

  async touchApiKey(id: string, at: string): Promise<void> {
    this.db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    // A key rotated with a grace period has its revocation ahead: revoking now brings it forward.
    return this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND (revoked_at IS NULL OR revoked_at > ?)').run(at, id, at).changes > 0;
  }

  async getSettings(): Promise<Record<string, unknown>> {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as Row[];
    return Object.fromEntries(rows.map((r) => [r.key as string, JSON.parse(r.value as string)]));
  }

  async putSettings(values: Record<string, unknown>): Promise<void> {
    const at = this.iso();
    this.db.transaction(() => {
      for (const [k, v] of Object.entries(values)) {
        if (v === undefined || v === null) this.db.prepare('DELETE FROM settings WHERE key = ?').run(k);
        else this.db.prepare('INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES (?, ?, ?)').run(k, json(v), at);
      }
    })();
  }

  async purgeFinishedBefore(cutoff: string, at: string): Promise<string[]> {
    return this.db.transaction(() => {
      const ids = (
        this.db
          .prepare(
            `SELECT id FROM jobs WHERE purged_at IS NULL AND updated_at < ? AND state IN (${FINISHED_STATES.map(() => '?').join(',')})`,
          )
          .all(cutoff, ...FINISHED_STATES) as Row[]
      ).map((r) => r.id as string);
      for (const id of ids) this.purgeSync(id, cutoff, at);
      return ids;
    })();
  }

  async expireWaitingBefore(cutoff: string, at: string, reason: (state: 'queued' | 'awaiting_review' | 'approved') => JobError): Promise<string[]> {
    const waiting = ['queued', 'awaiting_review', 'approved'] as const;
    return this.db.transaction(() => {
      const rows = this.db
        .prepare(`SELECT id, state FROM jobs WHERE purged_at IS NULL AND updated_at < ? AND state IN (${waiting.map(() => '?').join(',')})`)
        .all(cutoff, ...waiting) as Row[];
      for (const r of rows) {
        const id = r.id as string;
        const from = r.state as (typeof waiting)[number];
        const error = reason(from);
        // The state change is written with the purge, so no step can start on content about to go.
        this.db.prepare("UPDATE jobs SET state = 'cancelled', error = ?, updated_at = ? WHERE id = ?").run(json(error), at, id);
        this.insertAudit(id, 'retention', 'state.cancelled', { from, to: 'cancelled', error });
        this.purgeSync(id, cutoff, at, error);
      }
      return rows.map((r) => r.id as string);
    })();
  }

  /**
   * Deletes a job's page and breakdown bodies, and the item titles its error and audit details may
   * quote (Jira's per-item errors, link warnings, a rejection reason). `keep` is an error that
   * quotes nothing and stays readable.
   */
  private purgeSync(id: string, cutoff: string, at: string, keep?: JobError): void {
    this.db.prepare('UPDATE page_snapshots SET body = NULL WHERE job_id = ?').run(id);
    this.db.prepare('UPDATE breakdown_versions SET body = NULL WHERE job_id = ?').run(id);
    this.db.prepare('UPDATE duplicate_candidates SET body = NULL WHERE job_id = ?').run(id);
    // Re-sync proposals, the values written and what creation sent quote the page and the reviewer's edits.
    this.db.prepare('UPDATE resync_plans SET body = NULL WHERE job_id = ?').run(id);
    this.db.prepare(`UPDATE resync_decisions SET body = '{}' WHERE job_id = ?`).run(id);
    this.db.prepare('UPDATE resync_steps SET written = NULL WHERE job_id = ?').run(id);
    this.db.prepare('UPDATE created_issues SET sent = NULL WHERE job_id = ?').run(id);
    const row = this.db.prepare('SELECT error FROM jobs WHERE id = ?').get(id) as Row | undefined;
    const error = parseJson<JobError | null>(row?.error, null);
    if (error && !keep) this.db.prepare('UPDATE jobs SET error = ? WHERE id = ?').run(json(redactedError(error)), id);
    for (const a of this.db.prepare('SELECT id, details FROM audit_log WHERE job_id = ?').all(id) as Row[]) {
      const details = parseJson<Record<string, unknown>>(a.details, {});
      const scrubbed = scrubDetails(details, keep);
      if (scrubbed) this.db.prepare('UPDATE audit_log SET details = ? WHERE id = ?').run(json(scrubbed), a.id);
    }
    this.db.prepare('UPDATE jobs SET purged_at = ? WHERE id = ?').run(at, id);
    this.insertAudit(id, 'retention', 'content.purged', { cutoff });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
