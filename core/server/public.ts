// The public listener: the only routes Forge can reach. API-key auth, per-key rate limit, a 16 KB
// body limit and JSON errors. It can create a job and read a job's status and the backend's
// health — nothing here reads or changes settings, secrets or the review queue.

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
import { CreateJobRequestSchema, sameSite, type CreateJobResponse, type HealthResponse, type JobStatusResponse } from './publicApi.ts';
import { pageBreakdownStatus } from '../jobs/resync.ts';

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

  const v1 = express.Router();
  v1.use(auth);
  v1.use(express.json({ limit: PUBLIC_BODY_LIMIT, type: () => true }));

  v1.post('/jobs', async (req, res) => {
    const body = validate(CreateJobRequestSchema, req.body);
    const configured = await deps.siteUrl();
    if (!configured) throw new ApiError(503, 'not_configured', 'This backend has no Atlassian site configured yet; the admin must set it in Spec2Tickets Settings');
    if (!sameSite(body.siteUrl, configured)) {
      throw new ApiError(400, 'site_mismatch', `This backend serves ${configured}, not ${body.siteUrl}`, ['siteUrl']);
    }
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

  v1.get('/jobs/:id', async (req, res) => {
    const job = await deps.store.getJob(String(req.params.id));
    if (!job) throw new ApiError(404, 'job_not_found', `There is no job ${String(req.params.id)}`);
    // The macro may name the page version it shows (?pageVersion=), so "changed since" is exact.
    const shown = typeof req.query.pageVersion === 'string' && /^[0-9]{1,9}$/.test(req.query.pageVersion) ? Number(req.query.pageVersion) : undefined;
    const out: JobStatusResponse = { ...jobStatusView(job, await deps.store.createdIssues(job.id)), page: await pageBreakdownStatus(deps.store, job, shown) };
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
