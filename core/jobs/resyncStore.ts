// What re-sync keeps in SQLite (tables of migration 6): the plan built for a job (proposals for the
// issues the page already put into Jira), the reviewer's decision per issue, and every Jira step of
// applying it — written as pending before the request goes out and as done the moment Jira answers,
// synchronously, so after a kill -9 the resume knows which steps may have happened and checks Jira
// for those instead of repeating them. It also reads what the creation ledger kept of each created
// issue (migration 7): what the create sent and Jira's `updated` after it.

import type Database from 'better-sqlite3';
import { SqliteJobStore } from '../store/sqliteStore.ts';
import type { JobStore } from '../store/types.ts';
import type { SentText } from '../store/ledger.ts';
import { jiraTime } from '../jira/updateIssues.ts';

export type ResyncStepName = 'edit' | 'comment' | 'label' | 'transition';
export type ResyncDecisionKind = 'update' | 'mark';

/** The fields of an item re-sync can change in Jira. */
export const RESYNC_FIELDS = ['summary', 'description', 'acceptanceCriteria', 'estimate'] as const;
export type ResyncField = (typeof RESYNC_FIELDS)[number];

/** The item's text as written to Jira (summary is the item's title). */
export interface WrittenFields {
  summary: string;
  description: string;
  acceptanceCriteria: string[];
  estimate: number | null;
}

export interface ResyncDecision {
  jobId: string;
  issueKey: string;
  kind: ResyncDecisionKind;
  decision: 'accept' | 'decline';
  /** Accepted fields (updates); absent: every proposed change. */
  fields?: ResyncField[];
  /** The reviewer's own values for some fields (an edited proposal). */
  edits?: Partial<WrittenFields>;
  /** The issue changed in Jira since we wrote it and the reviewer chose to overwrite it anyway. */
  overwriteJira?: boolean;
  decidedBy: string;
  decidedAt: string;
}

/**
 * What an edit step writes, recorded with its pending mark (before the request) and again when done.
 * The issue's edit screen decides which accepted fields Jira takes; the new text of the others goes
 * into the re-sync comment, so the page's version reaches the issue either way.
 */
export interface EditRecord {
  /** The item's fields as the issue now carries them, in its fields or in the comment (the base of the next re-sync's proposals). */
  written: WrittenFields;
  /** Summary and description as they read in Jira after the edit: a field the edit could not set keeps what we wrote before. */
  inJira: SentText;
  /** Accepted fields the edit could not set (not on the issue's edit screen, or no estimate field): their new text is in the comment. */
  inComment: ResyncField[];
}

export interface ResyncStepRecord {
  jobId: string;
  issueKey: string;
  step: ResyncStepName;
  state: 'pending' | 'done';
  /** For an edit: the fields as written (what "changed in Jira" is measured against later); for a pending one, as about to be written. */
  written: WrittenFields | null;
  /** For an edit recorded with its edit screen: summary and description as Jira reads them after it (null for older records). */
  inJira: SentText | null;
  /** For an edit: accepted fields put into the comment instead of the issue's fields. */
  inComment: ResyncField[];
  /** Jira's `updated` of the issue right after the step. */
  jiraUpdated: string | null;
  /** For a label step: done without the label, since Labels is not on the issue's edit screen (the issue was commented, and moved, only). */
  unlabelled?: boolean;
  at: string;
}

/** What creation recorded of an issue it made: the baseline "changed in Jira" is measured against. */
export interface CreatedBaseline {
  /** What the create sent (summary, description as text); null for records kept before creation noted it. */
  sent: SentText | null;
  /** Jira's `updated` once creation's own writes to the issue were over; null when not read. */
  jiraUpdated: string | null;
}

type Row = Record<string, unknown>;
const parse = <T>(v: unknown, fallback: T): T => (typeof v === 'string' ? (JSON.parse(v) as T) : fallback);
/** The `written` column: the written fields, with inJira and inComment beside them when the edit recorded them. */
const storedEdit = (w: WrittenFields | EditRecord | undefined): string | null => {
  if (!w) return null;
  return JSON.stringify('inJira' in w ? { ...w.written, inJira: w.inJira, inComment: w.inComment } : w);
};

export class ResyncStore {
  constructor(
    private readonly db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  savePlan(jobId: string, plan: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO resync_plans (job_id, body, built_at) VALUES (?, ?, ?)').run(jobId, JSON.stringify(plan), this.now().toISOString());
  }

  plan(jobId: string): { body: unknown; builtAt: string } | undefined {
    const r = this.db.prepare('SELECT body, built_at FROM resync_plans WHERE job_id = ?').get(jobId) as Row | undefined;
    return r ? { body: parse(r.body, null), builtAt: r.built_at as string } : undefined;
  }

  setDecision(d: Omit<ResyncDecision, 'decidedAt'>): ResyncDecision {
    const decidedAt = this.now().toISOString();
    const body = { fields: d.fields, edits: d.edits, overwriteJira: d.overwriteJira };
    this.db
      .prepare('INSERT OR REPLACE INTO resync_decisions (job_id, issue_key, kind, decision, body, decided_by, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(d.jobId, d.issueKey, d.kind, d.decision, JSON.stringify(body), d.decidedBy, decidedAt);
    return { ...d, decidedAt };
  }

  decisions(jobId: string): ResyncDecision[] {
    return (this.db.prepare('SELECT * FROM resync_decisions WHERE job_id = ? ORDER BY issue_key').all(jobId) as Row[]).map((r) => {
      const body = parse<Pick<ResyncDecision, 'fields' | 'edits' | 'overwriteJira'>>(r.body, {});
      return {
        jobId,
        issueKey: r.issue_key as string,
        kind: r.kind as ResyncDecisionKind,
        decision: r.decision as ResyncDecision['decision'],
        ...(body.fields ? { fields: body.fields } : {}),
        ...(body.edits ? { edits: body.edits } : {}),
        ...(body.overwriteJira ? { overwriteJira: true } : {}),
        decidedBy: r.decided_by as string,
        decidedAt: r.decided_at as string,
      };
    });
  }

  private toStep(r: Row): ResyncStepRecord {
    // One JSON column holds the written fields and, since edit screens are read, inJira and inComment beside them.
    // A label step done without the label keeps only { unlabelled: true } there.
    const stored = parse<(WrittenFields & { inJira?: SentText; inComment?: ResyncField[]; unlabelled?: boolean }) | null>(r.written, null);
    const { inJira, inComment, unlabelled, ...written } = stored ?? ({} as Partial<NonNullable<typeof stored>>);
    return {
      jobId: r.job_id as string,
      issueKey: r.issue_key as string,
      step: r.step as ResyncStepName,
      state: r.state as ResyncStepRecord['state'],
      written: stored && r.step !== 'label' ? (written as WrittenFields) : null,
      inJira: inJira && typeof inJira.summary === 'string' && typeof inJira.descriptionText === 'string' ? inJira : null,
      inComment: Array.isArray(inComment) ? inComment.filter((f): f is ResyncField => (RESYNC_FIELDS as readonly string[]).includes(f)) : [],
      jiraUpdated: (r.jira_updated as string | null) ?? null,
      ...(unlabelled === true ? { unlabelled: true } : {}),
      at: r.at as string,
    };
  }

  step(jobId: string, issueKey: string, step: ResyncStepName): ResyncStepRecord | undefined {
    const r = this.db.prepare('SELECT * FROM resync_steps WHERE job_id = ? AND issue_key = ? AND step = ?').get(jobId, issueKey, step) as Row | undefined;
    return r ? this.toStep(r) : undefined;
  }

  steps(jobId: string): ResyncStepRecord[] {
    return (this.db.prepare('SELECT * FROM resync_steps WHERE job_id = ? ORDER BY issue_key, step').all(jobId) as Row[]).map((r) => this.toStep(r));
  }

  /** Written (synchronously) before the request that performs the step; an edit records what it is about to write. */
  stepPending(jobId: string, issueKey: string, step: ResyncStepName, edit?: EditRecord): void {
    this.db
      .prepare(
        `INSERT INTO resync_steps (job_id, issue_key, step, state, written, at) VALUES (?, ?, ?, 'pending', ?, ?)
         ON CONFLICT (job_id, issue_key, step) DO UPDATE SET state = 'pending', written = excluded.written, at = excluded.at WHERE state = 'pending'`,
      )
      .run(jobId, issueKey, step, storedEdit(edit), this.now().toISOString());
  }

  /** Written (synchronously) the moment Jira confirms the step. */
  stepDone(jobId: string, issueKey: string, step: ResyncStepName, extra: { written?: WrittenFields | EditRecord; jiraUpdated?: string | null; unlabelled?: boolean } = {}): void {
    this.db
      .prepare(
        `INSERT INTO resync_steps (job_id, issue_key, step, state, written, jira_updated, at) VALUES (?, ?, ?, 'done', ?, ?, ?)
         ON CONFLICT (job_id, issue_key, step) DO UPDATE SET state = 'done', written = excluded.written, jira_updated = excluded.jira_updated, at = excluded.at`,
      )
      .run(jobId, issueKey, step, extra.unlabelled ? JSON.stringify({ unlabelled: true }) : storedEdit(extra.written), extra.jiraUpdated ?? null, this.now().toISOString());
  }

  /** The newest edit re-sync made to an issue (any job): what it wrote and Jira's `updated` after it. */
  lastEdit(issueKey: string): ResyncStepRecord | undefined {
    const r = this.db
      .prepare(`SELECT * FROM resync_steps WHERE issue_key = ? AND step = 'edit' AND state = 'done' ORDER BY at DESC, rowid DESC LIMIT 1`)
      .get(issueKey) as Row | undefined;
    return r ? this.toStep(r) : undefined;
  }

  /** What creation recorded of each issue a job created, by item id. */
  createdBaselines(jobId: string): Map<string, CreatedBaseline> {
    const out = new Map<string, CreatedBaseline>();
    for (const r of this.db.prepare('SELECT item_id, sent, jira_updated FROM created_issues WHERE job_id = ?').all(jobId) as Row[]) {
      const sent = parse<Partial<SentText> | null>(r.sent, null);
      out.set(r.item_id as string, {
        sent: sent && typeof sent.summary === 'string' && typeof sent.descriptionText === 'string' ? { summary: sent.summary, descriptionText: sent.descriptionText } : null,
        jiraUpdated: (r.jira_updated as string | null) ?? null,
      });
    }
    return out;
  }

  /**
   * The newest Jira `updated` on record for an issue of a site, from its creation or a re-sync edit:
   * a record only moves on with our own writes (see CreationLedger.recordOwnWrites).
   */
  recordedUpdated(siteUrl: string, issueKey: string): string | null {
    const r = this.db
      .prepare(
        `SELECT jira_updated FROM created_issues WHERE issue_key = ? AND jira_updated IS NOT NULL AND job_id IN (SELECT id FROM jobs WHERE site_url = ?)
         UNION ALL
         SELECT jira_updated FROM resync_steps WHERE issue_key = ? AND step = 'edit' AND state = 'done' AND jira_updated IS NOT NULL AND job_id IN (SELECT id FROM jobs WHERE site_url = ?)`,
      )
      .all(issueKey, siteUrl, issueKey, siteUrl) as Row[];
    let newest: string | null = null;
    for (const x of r) {
      const at = x.jira_updated as string;
      if (newest === null || jiraTime(at) > jiraTime(newest)) newest = at;
    }
    return newest;
  }

  /** Issues already marked as removed from the page (labelled by an earlier re-sync). */
  markedIssues(): Set<string> {
    return new Set((this.db.prepare(`SELECT DISTINCT issue_key FROM resync_steps WHERE step = 'label' AND state = 'done'`).all() as Row[]).map((r) => r.issue_key as string));
  }
}

const stores = new WeakMap<Database.Database, ResyncStore>();

/** The re-sync tables of a job store (they live in the same SQLite file); undefined for a store without SQLite. */
export function resyncStoreOf(store: JobStore): ResyncStore | undefined {
  if (!(store instanceof SqliteJobStore)) return undefined;
  let s = stores.get(store.db);
  if (!s) {
    s = new ResyncStore(store.db);
    stores.set(store.db, s);
  }
  return s;
}
