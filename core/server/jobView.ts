// How a job looks from outside: the one JSON shape both listeners return for a job's status.

import type { CreatedIssue, JobRecord } from '../store/types.ts';

export interface JobStatusView {
  jobId: string;
  pageId: string;
  pageVersion: number | null;
  requestedBy: string;
  /** The Jira project the job creates its issues in; null means the backend's own setting. */
  projectKey: string | null;
  pageTitle: string | null;
  state: JobRecord['state'];
  progress: Record<string, unknown>;
  counts: JobRecord['counts'];
  issues: { itemId: string; key: string; url: string }[];
  error: JobRecord['error'];
  attempt: number;
  /** Why the reviewer rejected the breakdown; present only on a rejected job whose reviewer gave a reason. */
  rejectionReason?: string;
  createdAt: string;
  updatedAt: string;
}

export function jobStatusView(job: JobRecord, issues: CreatedIssue[]): JobStatusView {
  return {
    jobId: job.id,
    pageId: job.pageId,
    pageVersion: job.pageVersion,
    requestedBy: job.requestedBy,
    projectKey: job.projectKey,
    pageTitle: job.pageTitle,
    state: job.state,
    progress: job.progress,
    counts: job.counts,
    issues: issues.map((i) => ({ itemId: i.itemId, key: i.key, url: i.url })),
    error: job.error,
    attempt: job.attempt,
    ...(job.state === 'rejected' && typeof job.progress.rejectionReason === 'string' ? { rejectionReason: job.progress.rejectionReason } : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}
