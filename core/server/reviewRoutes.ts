// Admin routes of the review workspace: the parsed page of a job (sections and blocks, for the page
// view beside the breakdown), the generated version of its breakdown (read only by the diff panel, so
// the job detail leaves its body out) and approval as a recorded decision (what it creates, what it
// skips and which gaps the reviewer accepted). A page snapshot never changes once stored, so its parse is
// cached per job and snapshot: the page view and the quality report do not re-parse it per request.

import express, { type Router } from 'express';
import { z } from 'zod';
import type { SpecDocument } from '../spec/types.ts';
import type { BreakdownVersion, JobStore, PageSnapshot } from '../store/types.ts';
import type { JobRunner } from '../jobs/runner.ts';
import type { BreakdownReport } from '../breakdown/checkBreakdown.ts';
import type { BreakdownDiff } from '../jobs/breakdownDiff.ts';
import { ApiError, sendError, validate } from './httpErrors.ts';
import { jobStatusView, type JobStatusView } from './jobView.ts';

/** GET /api/jobs/:id/page: the page as the checks read it; null when the snapshot is missing or purged. */
export interface JobPageResponse {
  jobId: string;
  snapshotVersion: number | null;
  page: SpecDocument | null;
  /** Why there is no page, in words; null when there is one. */
  reason: string | null;
}

/**
 * GET /api/jobs/:id/generated: the breakdown as the engine generated it (its newest generated
 * version), which the diff panel compares with the saved version (core/jobs/breakdownDiff.ts). The
 * job detail carries only this version's number and author, and the diff's counts; `body` is null
 * once retention has purged it.
 */
export interface GeneratedBreakdownResponse {
  jobId: string;
  generated: BreakdownVersion;
}

/**
 * The job detail's account of the latest version against the generated one: how many items were
 * added, removed, changed or kept, and which ones the tree marks. The entries themselves (titles,
 * changed fields) are shown only when the reviewer opens the diff, which computes them from the
 * generated version.
 */
export interface BreakdownDiffSummary {
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
  /** Items added or changed since generation, in the latest version's order. */
  marked: string[];
}

export function summariseDiff(d: BreakdownDiff): BreakdownDiffSummary {
  return { added: d.added.length, removed: d.removed.length, changed: d.changed.length, unchanged: d.unchanged, marked: [...d.added.map((a) => a.itemId), ...d.changed.map((c) => c.itemId)] };
}

/**
 * POST /api/jobs/:id/approve body: who approves and the consequences the reviewer saw. A breakdown
 * with gaps (requirement blocks no item cites, or error findings) is approved only with
 * `approveAnyway: true`; without it the answer is 409 `uncovered_requirements` (or `error_findings`)
 * listing the gaps, so no caller can skip the confirmation the review workspace asks for.
 */
export const ApproveRequestSchema = z.object({
  by: z.string().trim().min(1).max(200).optional(),
  /** The caller has seen the gaps the breakdown has and approves anyway (recorded in the audit log). */
  approveAnyway: z.boolean().optional(),
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
      /** For a page broken down again: what approval does to the issues earlier jobs made (the re-sync counts shown). */
      resync: z
        .object({ create: z.number().int().min(0), update: z.number().int().min(0), mark: z.number().int().min(0), unchanged: z.number().int().min(0), held: z.number().int().min(0), declined: z.number().int().min(0) })
        .nullable()
        .optional(),
    })
    .optional(),
});
export type ApproveRequest = z.input<typeof ApproveRequestSchema>;

/** A requirement block no item of the latest breakdown cites, as the page says it. */
export interface UncoveredRequirement {
  blockId: string;
  /** The block's whole text (empty when the page snapshot could not be read). */
  text: string;
}

/** 409 body of an approval refused for gaps the request did not acknowledge (or a summary that did not list them all). */
export interface ApprovalGapsError {
  code: 'uncovered_requirements' | 'error_findings' | 'uncovered_changed';
  message: string;
  uncovered: UncoveredRequirement[];
  /** The error findings of the latest breakdown, in words. */
  errors: { itemId: string | null; message: string }[];
}

/** How many uncovered requirements a refusal's message quotes (the list in the body is whole). */
const QUOTED = 3;

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

  /** The value kept for `key`, if any (without computing it). */
  peek(key: string): T | undefined {
    return this.entries.get(key);
  }

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
  /** The quality report of the job's latest breakdown against its page (cached); null when either is missing. */
  report: (jobId: string) => Promise<BreakdownReport | { error: string } | null>;
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

  r.get('/jobs/:id/generated', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const generated = await deps.store.generatedBreakdown(job.id);
    if (!generated) throw new ApiError(404, 'not_generated', `Job ${job.id} has no generated breakdown (it is ${job.state.replace('_', ' ')})`);
    const body: GeneratedBreakdownResponse = { jobId: job.id, generated };
    res.json(body);
  });

  r.post('/jobs/:id/approve', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const { by, summary, approveAnyway } = validate(ApproveRequestSchema, req.body);
    const who = deps.actor(req, by);
    // Gaps are checked against the breakdown as stored now, not as the caller believes it to be. A job
    // in another state is left to the runner, whose answer (409 invalid_transition) says why.
    let gaps: Omit<ApprovalGapsError, 'code' | 'message'> | null = null;
    if (job.state === 'awaiting_review') {
      const report = await deps.report(job.id);
      if (report && !('error' in report)) {
        const errors = report.findings.filter((f) => f.severity === 'error').map((f) => ({ itemId: f.itemId ?? null, message: f.message }));
        if (report.coverage.uncovered.length > 0 || errors.length > 0) {
          const snapshot = await deps.store.latestSnapshot(job.id);
          let texts = new Map<string, string>();
          try {
            const page = snapshot ? deps.pages.get(job.id, snapshot) : null;
            texts = new Map(page?.blocks.map((b) => [b.id, b.text]) ?? []);
          } catch {
            // The report was computed from this same snapshot; without its text the ids still name the gaps.
          }
          gaps = { uncovered: report.coverage.uncovered.map((id) => ({ blockId: id, text: texts.get(id) ?? '' })), errors };
        }
      }
    }
    if (gaps && approveAnyway !== true) {
      const n = gaps.uncovered.length;
      const quoted = gaps.uncovered.slice(0, QUOTED).map((u) => `"${u.text || u.blockId}"`).join('; ');
      const body: ApprovalGapsError =
        n > 0
          ? {
              code: 'uncovered_requirements',
              message: `${n} requirement${n === 1 ? ' is' : 's are'} not covered by any item (${quoted}${n > QUOTED ? `; and ${n - QUOTED} more` : ''}). Cite ${n === 1 ? 'it' : 'them'} from an item, or send approveAnyway: true to approve with the gap${n === 1 ? '' : 's'} recorded in the audit log.`,
              ...gaps,
            }
          : {
              code: 'error_findings',
              message: `The breakdown has ${gaps.errors.length} error finding${gaps.errors.length === 1 ? '' : 's'} (${gaps.errors[0]!.message}). Fix ${gaps.errors.length === 1 ? 'it' : 'them'}, or send approveAnyway: true to approve with the findings recorded in the audit log.`,
              ...gaps,
            };
      return sendError(res, 409, body.code, body.message, { uncovered: body.uncovered, errors: body.errors });
    }
    if (gaps && summary) {
      // The reviewer confirmed the gaps listed in the dialog; a gap they were not shown (the breakdown
      // changed since, in another window) needs a fresh look, not this confirmation.
      const seen = new Set(summary.uncovered);
      const unseen = gaps.uncovered.filter((u) => !seen.has(u.blockId));
      if (unseen.length > 0) {
        const n = unseen.length;
        const message = `${n} uncovered requirement${n === 1 ? ' was' : 's were'} not in the approval you confirmed (${unseen
          .slice(0, QUOTED)
          .map((u) => `"${u.text || u.blockId}"`)
          .join('; ')}): the breakdown changed since. Reload the job and look at the gaps again.`;
        return sendError(res, 409, 'uncovered_changed', message, { uncovered: gaps.uncovered, errors: gaps.errors });
      }
    }
    const next = await deps.runner.approve(job.id, who);
    if (gaps) {
      // The acknowledged gaps as the server found them, with what the reviewer had in view when there is a summary.
      await deps.store.audit({
        jobId: job.id,
        actor: who,
        action: 'job.approved_with_gaps',
        details: { ...(summary ?? {}), approvedAnyway: true, uncovered: gaps.uncovered.map((u) => u.blockId), uncoveredText: gaps.uncovered.map((u) => u.text), errors: gaps.errors.length, errorFindings: gaps.errors },
      });
    } else if (summary) {
      // The decision with what the reviewer had in view, next to the state change in the audit log.
      await deps.store.audit({ jobId: job.id, actor: who, action: 'job.approval_summary', details: { ...summary, approvedAnyway: false } });
    }
    const view: JobStatusView = jobStatusView(next, await deps.store.createdIssues(job.id));
    res.json(view);
  });

  return r;
}
