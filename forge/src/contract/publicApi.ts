// The public /v1 API contract as the Forge app sees it: generated from core/server/publicApi.ts by
// `npm run forge:contract` (build/forge-contract.mjs); do not edit by hand. The Forge app is deployed
// on its own, so it carries this copy instead of importing the backend; test/forge/contract.test.ts
// fails when the two differ.

export type CreateJobRequest = {
  pageId: string | number;
  siteUrl: string;
  requestedBy: string;
  pageVersion?: number;
  /** The Jira project to create the issues in (the Forge admin page's choice); absent means the backend's setting. */
  projectKey?: string;
};

export type CreateJobResponse = {
  jobId: string;
  state: 'queued' | 'fetching' | 'generating' | 'awaiting_review' | 'approved' | 'creating' | 'done' | 'rejected' | 'failed' | 'cancelled';
  /** False when an open job for the same page, version, requester and project already existed. */
  created: boolean;
};

export type ResyncRequest = {
  pageId: string | number;
  siteUrl: string;
  requestedBy: string;
  /** The page version to update the issues from (the one the requester sees). */
  pageVersion: number;
};

/** The answer to POST /v1/resync: the job that breaks the new version down, and the breakdown it updates. */
export type ResyncRequestResponse = {
  jobId: string;
  state: 'queued' | 'fetching' | 'generating' | 'awaiting_review' | 'approved' | 'creating' | 'done' | 'rejected' | 'failed' | 'cancelled';
  /** False when an open job for the same page, version, requester and project already existed. */
  created: boolean;
  /** The page's last breakdown that reached Jira: the issues it made are the ones to update. */
  resyncOf: {
    jobId: string;
    version: number | null;
  };
};

/** A job's status as the Forge app reads it. `rejectionReason` is present when a reviewer rejected the breakdown and said why, so the macro can tell the requester. */
export type JobStatusResponse = {
  jobId: string;
  pageId: string;
  pageVersion: number | null;
  requestedBy: string;
  /** The Jira project the job creates its issues in; null means the backend's own setting. */
  projectKey: string | null;
  pageTitle: string | null;
  state: 'queued' | 'fetching' | 'generating' | 'awaiting_review' | 'approved' | 'creating' | 'done' | 'rejected' | 'failed' | 'cancelled';
  progress: Record<string, unknown>;
  counts: {
    epics: number;
    stories: number;
    subtasks: number;
    created?: number;
    reused?: number;
  } | null;
  issues: {
    itemId: string;
    key: string;
    url: string;
  }[];
  error: {
    code: string;
    message: string;
  } | null;
  attempt: number;
  /** Why the reviewer rejected the breakdown; present only on a rejected job whose reviewer gave a reason. */
  rejectionReason?: string;
  createdAt: string;
  updatedAt: string;
  /** The page's last breakdown that reached Jira (version, date) and whether the page changed since, so the macro can offer "update the Jira issues from this version". */
  page?: {
    lastBreakdown: {
      jobId: string;
      version: number | null;
      at: string;
    } | null;
    /** The newest page version Spec2Tickets has seen (this job's, another job's, or the caller's). */
    latestKnownVersion: number | null;
    /** Null when no breakdown of the page reached Jira yet. */
    changedSince: boolean | null;
  };
  /** Present when this job updates issues an earlier breakdown of the page put into Jira (a re-sync). */
  resync?: {
    /** The page versions the issues were written from, and the version this job reads (null until read). */
    fromVersions: number[];
    toVersion: number | null;
    /** Null until the plan is built (after drafting); then what approval will do, the reviewer's decisions included. */
    counts: {
      create: number;
      update: number;
      mark: number;
      unchanged: number;
      /** Updates left alone because the issue changed in Jira and nobody chose to overwrite it. */
      held: number;
      declined: number;
    } | null;
    /** Once done: how many issues were updated, marked as no longer on the page, and left alone because they changed in Jira. */
    applied: {
      updated: number;
      marked: number;
      held: number;
    } | null;
  };
};

/** The health answer as Forge sees it: background tasks say whether they work, not why they failed. */
export type HealthResponse = {
  status: 'ok' | 'degraded';
  version: string;
  model:
    | {
      state: 'absent';
      message?: string;
    }
    | {
      state: 'downloading';
      model: string;
      percent: number;
      bytesPerSecond?: number;
      etaSeconds?: number;
    }
    | {
      state: 'loading';
      model: string;
      percent: number;
    }
    | {
      state: 'ready';
      model: string;
      gpu: string | false;
      note?: string;
      remote?: {
        host: string;
        server: string;
      };
    }
    | {
      state: 'generating';
      model: string;
      queueDepth: number;
      tokensPerSecond: number;
      remote?: {
        host: string;
        server: string;
      };
    }
    | {
      state: 'error';
      message: string;
      remote?: {
        host: string;
        server: string;
      };
    };
  jira: {
    ok: boolean;
    message: string;
    code?: string;
  };
  confluence: {
    ok: boolean;
    message: string;
    code?: string;
  };
  checkedAt: string;
  background: {
    retention: {
      ok: boolean;
      lastRunAt: string | null;
    };
  };
};

export type ApiErrorBody = {
  code: string;
  message: string;
  fields?: string[];
};
