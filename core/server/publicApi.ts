// The Forge ⇄ backend contract, defined once: request schemas and response shapes of the public
// /v1 API. The backend validates with these; the Forge resolvers import the types.

import { z } from 'zod';
import { ProjectKeySchema } from '../jira/projectKey.ts';
import type { JobStatusView } from './jobView.ts';
import { hasUnsafeCharacters, UNSAFE_TEXT_MESSAGE } from './freeText.ts';
import type { HealthReport } from './health.ts';
import type { PublicBackgroundView } from './backgroundTasks.ts';
import type { PageBreakdownStatus } from '../jobs/resync.ts';

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
};
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
