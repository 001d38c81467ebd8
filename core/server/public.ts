// The public listener: the only routes Forge can reach. API-key auth, per-key rate limit, a 16 KB
// body limit and JSON errors. It can create a job, request a re-sync of a changed page (a job like
// any other: a reviewer approves its updates in the review queue), and read a job's status and the
// backend's health — nothing here reads or changes settings, secrets or the review queue.

import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { JobStore } from '../store/types.ts';
import type { Logger } from '../jobs/runner.ts';
import type { ApiKeyService } from './apiKeys.ts';
import type { TokenBuckets } from './rateLimit.ts';
import type { HealthReport } from './health.ts';
import { publicBackgroundView } from './backgroundTasks.ts';
import { ApiError, errorHandler, notFoundRoute, sendError, validate } from './httpErrors.ts';
import { requestContext } from './requestContext.ts';
import { jobStatusView } from './jobView.ts';
import {
  CreateJobRequestSchema,
  ResyncRequestSchema,
  sameSite,
  type CreateJobResponse,
  type HealthResponse,
  type JobStatusResponse,
  type ResyncRequestResponse,
  type ResyncStatus,
} from './publicApi.ts';
import { pageBreakdownStatus, resyncCounts, withLatestItems, type ResyncPlan } from '../jobs/resync.ts';
import { resyncStoreOf } from '../jobs/resyncStore.ts';
import { applySkips } from '../jobs/skipItems.ts';
import { flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import { OPEN_STATES } from '../jobs/states.ts';
import type { JobRecord } from '../store/types.ts';

export const PUBLIC_BODY_LIMIT = 16 * 1024;

export interface PublicDeps {
  store: JobStore;
  apiKeys: ApiKeyService;
  rateLimit: TokenBuckets;
  /** The configured Atlassian site URL (undefined until configured). */
  siteUrl: () => Promise<string | undefined>;
  health: () => Promise<HealthReport>;
  /** Projects a job may ask for (the allowedProjects setting); empty means any. */
  allowedProjects: () => Promise<readonly string[]>;
  /** Tells the job runner there is new work. */
  onJobCreated: () => void;
  log: Logger;
}

const UNAUTHORIZED: Record<string, string> = {
  missing: 'Send the API key as "Authorization: Bearer s2t_…" (create one in Spec2Tickets under API keys)',
  malformed: 'The API key is not a Spec2Tickets key (they start with s2t_)',
  incomplete: 'The API key is incomplete: it starts like a Spec2Tickets key but is cut short; copy the whole key again (s2t_ and 43 more characters)',
  unknown: 'The API key is not known to this backend; check it was copied completely, or create a new one',
  revoked: 'The API key has been revoked; ask the Spec2Tickets admin for a new one',
};

export function createPublicApp(deps: PublicDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestContext('public', deps.log));

  const auth = async (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendError(res, 401, 'unauthorized', UNAUTHORIZED.missing!);
    }
    const v = await deps.apiKeys.verify(m[1]!);
    if (!v.ok) {
      res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
      return sendError(res, 401, v.reason === 'revoked' ? 'api_key_revoked' : 'unauthorized', UNAUTHORIZED[v.reason]!);
    }
    res.locals.apiKeyId = v.key.id;
    const wait = deps.rateLimit.take(v.key.id);
    if (wait > 0) {
      res.setHeader('Retry-After', String(wait));
      return sendError(res, 429, 'rate_limited', `Too many requests for this API key; retry after ${wait} s`);
    }
    next();
  };

  /** The configured site, when the request names it; else why the request cannot be served. */
  const servedSite = async (siteUrl: string): Promise<string> => {
    const configured = await deps.siteUrl();
    if (!configured) throw new ApiError(503, 'not_configured', 'This backend has no Atlassian site configured yet; the admin must set it in Spec2Tickets Settings');
    if (!sameSite(siteUrl, configured)) throw new ApiError(400, 'site_mismatch', `This backend serves ${configured}, not ${siteUrl}`, ['siteUrl']);
    return configured;
  };

  const v1 = express.Router();
  v1.use(auth);
  v1.use(express.json({ limit: PUBLIC_BODY_LIMIT, type: () => true }));

  v1.post('/jobs', async (req, res) => {
    const body = validate(CreateJobRequestSchema, req.body);
    const configured = await servedSite(body.siteUrl);
    if (body.projectKey !== undefined) {
      const allowed = await deps.allowedProjects();
      if (allowed.length > 0 && !allowed.includes(body.projectKey)) {
        throw new ApiError(
          400,
          'project_not_allowed',
          `This backend does not create issues in Jira project ${body.projectKey}; it allows ${allowed.join(', ')}. Choose one of those on the Spec2Tickets admin page, or ask the Spec2Tickets admin to allow ${body.projectKey}.`,
          ['projectKey'],
        );
      }
    }
    const { job, created } = await deps.store.createOrFindOpenJob(
      { pageId: body.pageId, siteUrl: configured, pageVersion: body.pageVersion ?? null, requestedBy: body.requestedBy, projectKey: body.projectKey ?? null },
      `apikey:${String(res.locals.apiKeyId)}`,
    );
    if (created) deps.onJobCreated();
    const out: CreateJobResponse = { jobId: job.id, state: job.state, created };
    res.status(created ? 202 : 200).location(`/v1/jobs/${job.id}`).json(out);
  });

  v1.post('/resync', async (req, res) => {
    const body = validate(ResyncRequestSchema, req.body);
    const configured = await servedSite(body.siteUrl);
    const { lastBreakdown } = await pageBreakdownStatus(deps.store, { pageId: body.pageId, siteUrl: configured });
    if (!lastBreakdown) {
      throw new ApiError(409, 'nothing_to_resync', `No breakdown of page ${body.pageId} has reached Jira yet, so there are no issues to update; request a breakdown instead.`);
    }
    if (lastBreakdown.version !== null && body.pageVersion <= lastBreakdown.version) {
      throw new ApiError(409, 'page_unchanged', `The Jira issues of page ${body.pageId} were made from version ${lastBreakdown.version}; version ${body.pageVersion} is not newer, so there is nothing to update.`, ['pageVersion']);
    }
    const from = (await deps.store.getJob(lastBreakdown.jobId))!;
    const resyncOf = { jobId: lastBreakdown.jobId, version: lastBreakdown.version };
    // Another editor's request for the same version is the same re-sync: one job for reviewers.
    const open = (await deps.store.listJobs({ pageId: body.pageId, states: [...OPEN_STATES], limit: 100 })).find(
      (j) => j.siteUrl === configured && j.pageVersion === body.pageVersion && j.projectKey === from.projectKey,
    );
    const { job, created } = open
      ? { job: open, created: false }
      : await deps.store.createOrFindOpenJob(
          // The issues live in the project the earlier breakdown wrote to, so the updates go there too.
          { pageId: body.pageId, siteUrl: configured, pageVersion: body.pageVersion, requestedBy: body.requestedBy, projectKey: from.projectKey },
          `apikey:${String(res.locals.apiKeyId)}`,
        );
    if (created) {
      await deps.store.audit({ jobId: job.id, actor: `apikey:${String(res.locals.apiKeyId)}`, action: 'resync.requested', details: { requestedBy: body.requestedBy, of: resyncOf.jobId, fromVersion: resyncOf.version, toVersion: body.pageVersion } });
      deps.onJobCreated();
    }
    const out: ResyncRequestResponse = { jobId: job.id, state: job.state, created, resyncOf };
    res.status(created ? 202 : 200).location(`/v1/jobs/${job.id}`).json(out);
  });

  /** The re-sync side of a job's status, when the job updates issues an earlier breakdown of the page made. */
  const resyncStatus = async (job: JobRecord): Promise<ResyncStatus | undefined> => {
    const resync = resyncStoreOf(deps.store);
    if (!resync) return undefined;
    const stored = resync.plan(job.id);
    if (stored) {
      if (!stored.body) return undefined;
      const latest = await deps.store.latestBreakdown(job.id);
      const plan = withLatestItems(stored.body as ResyncPlan, latest?.body);
      let toCreate = 0;
      if (latest?.body) {
        const skips = new Map((await deps.store.duplicateDecisions(job.id)).filter((d) => d.decision === 'skip').map((d) => [d.itemId, d.issueKey]));
        const { breakdown, existing } = applySkips(parseBreakdown(latest.body), skips);
        toCreate = flattenBreakdown(breakdown).length - existing.size;
      }
      const p = job.progress;
      const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
      return {
        fromVersions: plan.fromVersions,
        toVersion: plan.toVersion,
        counts: resyncCounts(plan, resync.decisions(job.id), toCreate),
        applied: job.state === 'done' ? { updated: n(p.updated), marked: n(p.marked), held: n(p.held) } : null,
      };
    }
    // No plan yet (it is built once the draft is ready): a re-sync when an earlier breakdown of the page reached Jira.
    if (!['queued', 'fetching', 'generating', 'awaiting_review'].includes(job.state)) return undefined;
    const earlier = (await deps.store.listJobs({ pageId: job.pageId, states: ['done'], limit: 500 })).filter((j) => j.siteUrl === job.siteUrl && j.id !== job.id && j.createdAt < job.createdAt);
    if (earlier.length === 0) return undefined;
    const versions = new Set<number>();
    for (const j of earlier) {
      const v = await deps.store.latestSnapshotVersion(j.id);
      if (v !== undefined) versions.add(v);
    }
    return { fromVersions: [...versions].sort((a, b) => a - b), toVersion: job.pageVersion, counts: null, applied: null };
  };

  v1.get('/jobs/:id', async (req, res) => {
    const job = await deps.store.getJob(String(req.params.id));
    if (!job) throw new ApiError(404, 'job_not_found', `There is no job ${String(req.params.id)}`);
    // The macro may name the page version it shows (?pageVersion=), so "changed since" is exact.
    const shown = typeof req.query.pageVersion === 'string' && /^[0-9]{1,9}$/.test(req.query.pageVersion) ? Number(req.query.pageVersion) : undefined;
    const resync = await resyncStatus(job);
    const out: JobStatusResponse = { ...jobStatusView(job, await deps.store.createdIssues(job.id)), page: await pageBreakdownStatus(deps.store, job, shown), ...(resync ? { resync } : {}) };
    res.json(out);
  });

  v1.get('/health', async (_req, res) => {
    const report = await deps.health();
    const out: HealthResponse = { ...report, background: publicBackgroundView(report.background) };
    res.json(out);
  });

  app.use('/v1', v1);
  app.use(notFoundRoute);
  app.use(errorHandler((msg, f) => deps.log.error(msg, f)));
  return app;
}
