// The SQLite schema as ordered, versioned migrations. A migration is never edited once released;
// a change to the schema is a new entry at the end. schema_migrations records what has been applied.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'jobs, snapshots, breakdowns, audit, issues, duplicates, api keys, settings',
    sql: `
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        page_id TEXT NOT NULL,
        site_url TEXT NOT NULL,
        page_version INTEGER,
        requested_by TEXT NOT NULL,
        state TEXT NOT NULL,
        progress TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        counts TEXT,
        attempt INTEGER NOT NULL DEFAULT 0,
        approved_by TEXT,
        purged_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX jobs_by_state ON jobs (state, created_at);
      CREATE INDEX jobs_by_page ON jobs (page_id, requested_by);

      CREATE TABLE page_snapshots (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        title TEXT NOT NULL,
        web_url TEXT NOT NULL DEFAULT '',
        body TEXT,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (job_id, version)
      );

      CREATE TABLE breakdown_versions (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        version_no INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('generated', 'edited')),
        body TEXT,
        author TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (job_id, version_no)
      );

      CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT REFERENCES jobs (id) ON DELETE CASCADE,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}',
        at TEXT NOT NULL
      );
      CREATE INDEX audit_by_job ON audit_log (job_id, id);

      CREATE TABLE created_issues (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        issue_key TEXT NOT NULL,
        issue_id TEXT NOT NULL,
        url TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (job_id, item_id)
      );

      CREATE TABLE duplicate_decisions (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        item_id TEXT NOT NULL,
        issue_key TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('create', 'skip', 'link')),
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        PRIMARY KEY (job_id, item_id)
      );

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        prefix TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );
      CREATE INDEX api_keys_by_prefix ON api_keys (prefix);

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'issue links created per job (so a resumed creation does not link twice)',
    sql: `
      CREATE TABLE created_links (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        link_key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (job_id, link_key)
      );
    `,
  },
  {
    version: 3,
    name: 'possible duplicates found in Jira per job',
    sql: `
      CREATE TABLE duplicate_candidates (
        job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
        body TEXT,
        searched_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'the Jira project a job creates its issues in (null: the backend setting)',
    sql: `
      ALTER TABLE jobs ADD COLUMN project_key TEXT;
    `,
  },
  {
    version: 5,
    name: 'the bulk create request a job sent and has no answer for (its items may exist in Jira unseen)',
    sql: `
      CREATE TABLE pending_bulk (
        job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
        item_ids TEXT NOT NULL,
        sent_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'page re-sync: the plan per job, the reviewer\'s decision per existing issue, each Jira step recorded before and after it runs',
    sql: `
      CREATE TABLE resync_plans (
        job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
        body TEXT,
        built_at TEXT NOT NULL
      );
      CREATE TABLE resync_decisions (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        issue_key TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('update', 'mark')),
        decision TEXT NOT NULL CHECK (decision IN ('accept', 'decline')),
        body TEXT NOT NULL DEFAULT '{}',
        decided_by TEXT NOT NULL,
        decided_at TEXT NOT NULL,
        PRIMARY KEY (job_id, issue_key)
      );
      CREATE TABLE resync_steps (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        issue_key TEXT NOT NULL,
        step TEXT NOT NULL CHECK (step IN ('edit', 'comment', 'label', 'transition')),
        state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
        written TEXT,
        jira_updated TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (job_id, issue_key, step)
      );
      CREATE INDEX resync_steps_by_issue ON resync_steps (issue_key, state);
    `,
  },
  {
    version: 7,
    name: 'what creation sent for each issue (summary, description as text) and Jira\'s `updated` after it: the baseline re-sync measures changes in Jira against (null on rows written before); the `updated` of issues from before a job that its unfinished creation writes next to',
    sql: `
      ALTER TABLE created_issues ADD COLUMN sent TEXT;
      ALTER TABLE created_issues ADD COLUMN jira_updated TEXT;
      CREATE INDEX created_issues_by_key ON created_issues (issue_key);
      CREATE TABLE creation_touched (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        issue_key TEXT NOT NULL,
        jira_updated TEXT NOT NULL,
        PRIMARY KEY (job_id, issue_key)
      );
    `,
  },
  {
    version: 8,
    name: 'the audit trail indexed by job and action, so the newest row of an action (the last duplicate search) is one lookup however long the trail',
    sql: `
      CREATE INDEX audit_by_job_action ON audit_log (job_id, action, id);
    `,
  },
];
