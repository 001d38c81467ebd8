// Admin routes of the review workspace: the parsed page of a job (sections and blocks, for the page
// view beside the breakdown) and approval as a recorded decision (what it creates, what it skips and
// which gaps the reviewer accepted). A page snapshot never changes once stored, so its parse is
// cached per job and snapshot: the page view and the quality report do not re-parse it per request.

import express, { type Router } from 'express';
import { z } from 'zod';
import type { SpecDocument } from '../spec/types.ts';
import type { JobStore, PageSnapshot } from '../store/types.ts';
import type { JobRunner } from '../jobs/runner.ts';
import { ApiError, validate } from './httpErrors.ts';
import { jobStatusView, type JobStatusView } from './jobView.ts';

/** GET /api/jobs/:id/page: the page as the checks read it; null when the snapshot is missing or purged. */
export interface JobPageResponse {
  jobId: string;
  snapshotVersion: number | null;
  page: SpecDocument | null;
  /** Why there is no page, in words; null when there is one. */
  reason: string | null;
}

/** POST /api/jobs/:id/approve body: who approves and the consequences the reviewer saw. */
export const ApproveRequestSchema = z.object({
  by: z.string().trim().min(1).max(200).optional(),
  summary: z
    .object({
      toCreate: z.object({ epics: z.number().int().min(0), stories: z.number().int().min(0), subtasks: z.number().int().min(0) }),
      skipped: z.object({ epics: z.number().int().min(0), stories: z.number().int().min(0), subtasks: z.number().int().min(0) }),
      targetProject: z.string().max(20).nullable(),
      coverage: z.number().min(0).max(1).nullable(),
      errors: z.number().int().min(0),
      /** Block ids of the requirements no item cites, when the reviewer approved anyway. */
      uncovered: z.array(z.string().max(100)).max(2000),
      /** True when the reviewer confirmed "approve anyway" with gaps in view. */
      approvedAnyway: z.boolean(),
    })
    .optional(),
});
export type ApproveRequest = z.input<typeof ApproveRequestSchema>;

const CACHE_ENTRIES = 32;

/** Parsed pages by job and snapshot, most recently used kept; a new snapshot (version or fetch) is a new key. */
export class ParsedPageCache {
  private readonly entries = new Map<string, SpecDocument>();
  /** How many parses ran (for tests and the log): a cached page is parsed once. */
  parses = 0;

  constructor(private readonly parse: (snapshot: { title: string; body: string }) => SpecDocument) {}

  get(jobId: string, snapshot: Pick<PageSnapshot, 'version' | 'fetchedAt' | 'title' | 'body'>): SpecDocument | null {
    if (snapshot.body === null) return null;
    const key = `${jobId}\u0000${snapshot.version}\u0000${snapshot.fetchedAt}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const doc = this.parse({ title: snapshot.title, body: snapshot.body });
    this.parses++;
    this.entries.set(key, doc);
    if (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return doc;
  }
}

/**
 * Results derived from stored, never-changing things (a breakdown version against a page snapshot):
 * the quality report and the diff of a 1,000-item job cost hundreds of milliseconds, and the job
 * detail is read again on every pushed event.
 */
export class DerivedCache<T> {
  private readonly entries = new Map<string, T>();
  constructor(private readonly size = CACHE_ENTRIES) {}

  get(key: string, compute: () => T): T {
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const value = compute();
    this.entries.set(key, value);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}

export interface ReviewRouteDeps {
  store: JobStore;
  runner: Pick<JobRunner, 'approve'>;
  pages: ParsedPageCache;
  actor: (req: express.Request, by?: string) => string;
}

export function reviewRoutes(deps: ReviewRouteDeps): Router {
  const r = express.Router();
  const jobOr404 = async (id: string) => {
    const job = await deps.store.getJob(id);
    if (!job) throw new ApiError(404, 'job_not_found', `There is no job ${id}`);
    return job;
  };

  r.get('/jobs/:id/page', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const snapshot = await deps.store.latestSnapshot(job.id);
    let body: JobPageResponse;
    if (!snapshot) body = { jobId: job.id, snapshotVersion: null, page: null, reason: 'The page has not been fetched yet.' };
    else if (snapshot.body === null) body = { jobId: job.id, snapshotVersion: snapshot.version, page: null, reason: 'The page snapshot was deleted by the retention policy.' };
    else {
      try {
        body = { jobId: job.id, snapshotVersion: snapshot.version, page: deps.pages.get(job.id, snapshot), reason: null };
      } catch (err) {
        body = { jobId: job.id, snapshotVersion: snapshot.version, page: null, reason: `The stored page could not be read: ${(err as Error).message}` };
      }
    }
    // The snapshot of a version never changes; the browser may keep it while the job lives.
    res.setHeader('Cache-Control', 'private, max-age=60');
    res.json(body);
  });

  r.post('/jobs/:id/approve', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const { by, summary } = validate(ApproveRequestSchema, req.body);
    const who = deps.actor(req, by);
    const next = await deps.runner.approve(job.id, who);
    if (summary) {
      // The decision with what the reviewer had in view, next to the state change in the audit log.
      await deps.store.audit({ jobId: job.id, actor: who, action: summary.approvedAnyway ? 'job.approved_with_gaps' : 'job.approval_summary', details: summary });
    }
    const view: JobStatusView = jobStatusView(next, await deps.store.createdIssues(job.id));
    res.json(view);
  });

  return r;
}
