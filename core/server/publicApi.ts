// The Forge ⇄ backend contract, defined once: request schemas and response shapes of the public
// /v1 API. The backend validates with these; the Forge resolvers import the types.

import { z } from 'zod';
import { ProjectKeySchema } from '../jira/projectKey.ts';
import type { JobStatusView } from './jobView.ts';
import { hasUnsafeCharacters, UNSAFE_TEXT_MESSAGE } from './freeText.ts';
import type { HealthReport } from './health.ts';
import type { PublicBackgroundView } from './backgroundTasks.ts';
import type { PageBreakdownStatus, ResyncCounts } from '../jobs/resync.ts';

export const CreateJobRequestSchema = z
  .object({
    pageId: z.union([z.string(), z.number().int().nonnegative()]).transform(String).pipe(z.string().regex(/^[0-9]{1,20}$/, 'must be a Confluence page id (digits)')),
    siteUrl: z.string().trim().url('must be the Atlassian site URL, e.g. https://acme.atlassian.net'),
    requestedBy: z
      .string()
      .trim()
      .min(1, 'must name who asked (Atlassian account id)')
      .max(200)
      .refine((s) => !hasUnsafeCharacters(s), UNSAFE_TEXT_MESSAGE),
    pageVersion: z.number().int().min(1, 'must be a positive whole number').optional(),
    /** The Jira project to create the issues in (the Forge admin page's choice); absent means the backend's setting. */
    projectKey: ProjectKeySchema.optional(),
  })
  .strict();
export type CreateJobRequest = z.input<typeof CreateJobRequestSchema>;

/**
 * A request to update the Jira issues of a page from its current version (POST /v1/resync). It only
 * asks: the backend breaks the version down, proposes the updates, and a reviewer approves them in
 * Spec2Tickets before anything changes in Jira.
 */
export const ResyncRequestSchema = z
  .object({
    pageId: CreateJobRequestSchema.shape.pageId,
    siteUrl: CreateJobRequestSchema.shape.siteUrl,
    requestedBy: CreateJobRequestSchema.shape.requestedBy,
    /** The page version to update the issues from (the one the requester sees). */
    pageVersion: z.number().int().min(1, 'must be a positive whole number'),
  })
  .strict();
export type ResyncRequest = z.input<typeof ResyncRequestSchema>;

export interface CreateJobResponse {
  jobId: string;
  state: JobStatusView['state'];
  /** False when an open job for the same page, version, requester and project already existed. */
  created: boolean;
}

/**
 * A job's status as the Forge app reads it. `rejectionReason` is present when a reviewer rejected the
 * breakdown and said why, so the macro can tell the requester.
 */
export type JobStatusResponse = JobStatusView & {
  rejectionReason?: string;
  /**
   * The page's last breakdown that reached Jira (version, date) and whether the page changed since,
   * so the macro can offer "update the Jira issues from this version".
   */
  page?: PageBreakdownStatus;
  /** Present when this job updates issues an earlier breakdown of the page put into Jira (a re-sync). */
  resync?: ResyncStatus;
};
/** The answer to POST /v1/resync: the job that breaks the new version down, and the breakdown it updates. */
export type ResyncRequestResponse = CreateJobResponse & {
  /** The page's last breakdown that reached Jira: the issues it made are the ones to update. */
  resyncOf: { jobId: string; version: number | null };
};

/** A re-sync job's side of the status: which issues it updates and what approval will do or did. */
export interface ResyncStatus {
  /** The page versions the issues were written from, and the version this job reads (null until read). */
  fromVersions: number[];
  toVersion: number | null;
  /** Null until the plan is built (after drafting); then what approval will do, the reviewer's decisions included. */
  counts: ResyncCounts | null;
  /** Once done: how many issues were updated, marked as no longer on the page, and left alone because they changed in Jira. */
  applied: { updated: number; marked: number; held: number } | null;
}

/** The health answer as Forge sees it: background tasks say whether they work, not why they failed. */
export type HealthResponse = Omit<HealthReport, 'background'> & { background: PublicBackgroundView };

export interface ApiErrorBody {
  code: string;
  message: string;
  fields?: string[];
}

/** Compares two site URLs the way a person would: scheme, host and path, ignoring case and trailing slashes. */
export function sameSite(a: string, b: string): boolean {
  try {
    const x = new URL(a);
    const y = new URL(b);
    const norm = (u: URL) => `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, '')}`;
    return norm(x) === norm(y);
  } catch {
    return false;
  }
}
