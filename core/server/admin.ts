// The admin listener: the review queue, breakdown editing, approval, settings, API keys, model
// management and live events for the renderer and the CLI. It is reachable from this machine only:
// bound to 127.0.0.1, Host header checked against an allow-list (so a web page cannot reach it by
// DNS rebinding), every request carries the per-launch session token, and other local pages are kept
// out of it (adminGuard.ts: same-origin JSON writes, a per-port cookie, CSP).

import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { timingSafeEqual, createHash } from 'node:crypto';
import { z } from 'zod';
import { parseBreakdown, BreakdownValidationError, type Breakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { BreakdownEngine, ModelStatus } from '../model/types.ts';
import type { AuditEntry, BreakdownVersion, DuplicateDecision, JobStore, PageSnapshot } from '../store/types.ts';
import type { JobRunner, Logger, StoredComparison } from '../jobs/runner.ts';
import type { IssueNoLongerOnPage } from '../jobs/pageHistory.ts';
import type { HealthReport } from './health.ts';
import type { BackgroundReport } from './backgroundTasks.ts';
import type { ItemDuplicates } from '../jira/findDuplicates.ts';
import { isJobState, type JobState } from '../jobs/states.ts';
import { diffBreakdowns } from '../jobs/breakdownDiff.ts';
import { childCount } from '../jobs/skipItems.ts';
import { SettingsUpdateSchema, type SettingsService } from '../config/settings.ts';
import { SecretStoreReadOnlyError } from '../secrets/secretStore.ts';
import { DEFAULT_ROTATION_GRACE_HOURS, MAX_ROTATION_GRACE_HOURS, type ApiKeyService } from './apiKeys.ts';
import { staticAssets } from './staticAssets.ts';
import { connectionRoutes, type ConnectionChecks } from './connectionRoutes.ts';
import type { EventHub } from './events.ts';
import { ApiError, errorHandler, notFoundRoute, sendError, validate } from './httpErrors.ts';
import { requestContext } from './requestContext.ts';
import { jobStatusView, type JobStatusView } from './jobView.ts';
import type { ModelControl } from '../model/modelControl.ts';
import { modelRoutes } from './modelRoutes.ts';
import { resyncRoutes } from './resyncRoutes.ts';
import { ProjectKeySchema } from '../jira/projectKey.ts';
import type { BreakdownReport } from '../breakdown/checkBreakdown.ts';
import { DerivedCache, ParsedPageCache, reviewRoutes, summariseDiff, type BreakdownDiffSummary } from './reviewRoutes.ts';
import { adminSecurityHeaders, sameOriginWrites, sessionCookieName } from './adminGuard.ts';
import { stripUnsafeCharacters } from './freeText.ts';

export const ADMIN_HOST = '127.0.0.1';
const ADMIN_BODY_LIMIT = 2 * 1024 * 1024;

/** Extra model operations an engine offers (download, load, unload…), exposed as POST /api/model/:action. */
export type ModelActions = Record<string, (body: unknown) => Promise<unknown>>;

export interface AdminDeps {
  store: JobStore;
  runner: Pick<JobRunner, 'approve' | 'reject' | 'cancel' | 'retry' | 'searchDuplicates'>;
  apiKeys: ApiKeyService;
  settings: SettingsService;
  events: EventHub;
  engine: BreakdownEngine;
  modelActions?: ModelActions;
  /** Model management (hardware, catalogue, models folder, download, load/unload) when the engine can switch. */
  modelControl?: ModelControl;
  parse: (snapshot: { title: string; body: string }) => SpecDocument;
  check: (doc: SpecDocument, breakdown: Breakdown) => BreakdownReport;
  /** The full health answer, with the reasons background tasks failed (the public one leaves them out). */
  health: () => Promise<HealthReport>;
  /** The backend's own periodic tasks, for the queue's warning and the event stream. */
  background: () => BackgroundReport;
  /** Live checks of the Atlassian site for Settings' "Test connection". */
  connections?: ConnectionChecks;
  /** The port the listener is bound to (known after listen), for the Host allow-list. */
  port: () => number;
  sessionToken: string;
  /** Folder of a built renderer to serve, if present. */
  rendererDir?: string;
  log: Logger;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
const sameSecret = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined; // a malformed escape is no session
    }
  }
  return undefined;
}

const ActorSchema = z.object({ by: z.string().trim().min(1).max(200).optional() });
const RejectSchema = ActorSchema.extend({ reason: z.string().trim().max(2000).optional() });
const BreakdownPutSchema = z.object({ breakdown: z.unknown(), author: z.string().trim().min(1).max(200).optional() });
const DuplicateSchema = z.object({
  issueKey: z.string().regex(/^[A-Z][A-Z0-9_]*-[0-9]+$/, 'must be an issue key such as PAY-12'),
  /**
   * skip: the existing issue covers the item, do not create it; create: create it anyway;
   * link: create it and relate it to the existing issue ("Relates").
   */
  decision: z.enum(['create', 'skip', 'link']),
  by: z.string().trim().min(1).max(200).optional(),
});
const ProjectPutSchema = z.object({
  /** null returns the job to the backend's own jiraProjectKey setting. */
  projectKey: ProjectKeySchema.nullable(),
  by: z.string().trim().min(1).max(200).optional(),
});
const KeyCreateSchema = z.object({ name: z.string().trim().min(1, 'must not be empty').max(100) });
const KeyRotateSchema = z.object({
  /** How long the old key keeps working, so the Forge app can be switched without an outage. */
  graceHours: z.number().min(0, 'must be 0 (revoke at once) or more').max(MAX_ROTATION_GRACE_HOURS, `must be at most ${MAX_ROTATION_GRACE_HOURS} hours (30 days)`).default(DEFAULT_ROTATION_GRACE_HOURS),
});

/** Response shapes of the admin API, for the renderer to import. */
export interface JobListResponse {
  jobs: JobStatusView[];
  /** The backend's jiraProjectKey setting: where jobs without a project of their own create issues. */
  defaultProjectKey: string | null;
}

/** PUT /api/jobs/:id/project: the job as it is now, and what the change undid. */
export interface ProjectChangeResponse extends JobStatusView {
  /**
   * Duplicate decisions about issues of the previous project, cleared because they no longer apply
   * (0 when none were); `message` says so for the reviewer.
   */
  duplicatesCleared: { count: number; reason: 'project_changed'; message: string } | null;
}

export interface JobDetailResponse {
  job: JobStatusView;
  /** Where approval creates the issues: the job's project, else the backend setting (null: none set). */
  targetProject: { key: string; source: 'job' | 'settings' } | null;
  approvedBy: string | null;
  purgedAt: string | null;
  snapshot: { version: number; title: string; webUrl: string; fetchedAt: string; bytes: number | null; purged: boolean } | null;
  breakdown: {
    latest: BreakdownVersion | null;
    /**
     * The newest generated version without its body: only the diff panel shows that, and it reads it
     * from GET /api/jobs/:id/generated when the reviewer opens the changes (a 1,000-item job's body
     * would be a third of this answer, read again on every pushed event).
     */
    generated: Omit<BreakdownVersion, 'body'> | null;
    versions: Omit<BreakdownVersion, 'body'>[];
    /** Latest against generated, counted (the entries: diffBreakdowns of the generated and latest bodies); null while nobody has edited. */
    diff: BreakdownDiffSummary | null;
  };
  /** checkBreakdown's report for the latest version, or { error } when it could not be checked. */
  report: BreakdownReport | { error: string } | null;
  duplicates: {
    /** Per item, existing issues that look like it (Jira search and earlier jobs of the page). */
    candidates: ItemDuplicates[] | null;
    searchedAt: string | null;
    decisions: DuplicateDecision[];
    /** Issues earlier jobs of the page created from blocks the page no longer has. */
    noLongerOnPage: IssueNoLongerOnPage[];
    /** Why the newest search of Jira failed (from the audit log); null when the newest one worked or none ran. */
    lastFailure: { message: string; at: string } | null;
  };
  // No audit trail: it grows with every decision, re-sync and Jira step of the job (thousands of rows
  // for a large one) and only the activity section shows it, paged from GET /api/jobs/:id/audit.
}

/** GET /api/jobs/:id/audit: one page of the job's audit trail, newest first. */
export interface JobAuditResponse {
  jobId: string;
  entries: AuditEntry[];
  /** The `before` that reads the next older page; null when this page reaches the job's oldest row. */
  nextBefore: number | null;
}

/** Rows per page of GET /api/jobs/:id/audit when no limit is given, and the most one page may ask for. */
export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

const positiveInteger = (what: string) =>
  z
    .string()
    .regex(/^[1-9][0-9]{0,15}$/, `${what} must be a whole number of 1 or more`)
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n), `${what} is too large`);
const AuditPageQuery = z.object({
  limit: positiveInteger('limit')
    .refine((n) => n <= AUDIT_PAGE_MAX, `limit must be at most ${AUDIT_PAGE_MAX} rows`)
    .default(AUDIT_PAGE_DEFAULT),
  /** The id of the oldest row already seen (a previous page's nextBefore). */
  before: positiveInteger('before (the id of the oldest row seen, a previous answer\'s nextBefore)').optional(),
});

export interface ModelResponse {
  engine: string;
  status: ModelStatus;
  actions: string[];
}

/** Who is acting: the name the renderer sends, else "admin" (the admin listener has one local user). */
function actor(req: Request, by?: string): string {
  const name = stripUnsafeCharacters(by ?? req.get('x-spec2tickets-user') ?? '').trim().slice(0, 200);
  return name || 'admin';
}

/** The audit actions a duplicate search ends with; the newest of them says whether the last search failed. */
const SEARCH_OUTCOMES = ['duplicates.searched', 'duplicates.search_failed'] as const;

/** The newest duplicate search's failure, when the newest search failed (its newest outcome row, not the whole trail). */
function lastSearchFailure(newest: AuditEntry | undefined): { message: string; at: string } | null {
  if (newest?.action !== 'duplicates.search_failed') return null;
  return { message: typeof newest.details.message === 'string' ? newest.details.message : 'The duplicate search failed', at: newest.at };
}

/** The stored comparison (see JobRunner.searchDuplicates) as the API shows it; null candidates before any search. */
function storedComparison(body: unknown): { candidates: ItemDuplicates[] | null; noLongerOnPage: IssueNoLongerOnPage[] } {
  const o = body as Partial<StoredComparison> | null | undefined;
  return { candidates: Array.isArray(o?.items) ? o.items : null, noLongerOnPage: Array.isArray(o?.noLongerOnPage) ? o.noLongerOnPage : [] };
}


export function createAdminApp(deps: AdminDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestContext('admin', deps.log));

  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends Host: evil.example.
  app.use((req, res, next) => {
    const port = deps.port();
    const allowed = [`127.0.0.1:${port}`, `localhost:${port}`];
    const host = (req.get('host') ?? '').toLowerCase();
    if (!allowed.includes(host)) return sendError(res, 421, 'host_not_allowed', `The admin listener only answers to ${allowed.join(' or ')}; open it through one of those addresses`);
    next();
  });
  app.use(adminSecurityHeaders, sameOriginWrites(deps.port));

  // The renderer's files hold no data, so they are served without a session: a stale or wrong
  // token then reaches the renderer, which explains how to get a fresh one. A valid ?token= sets
  // the session cookie and is taken out of the address bar by a redirect.
  const renderer = deps.rendererDir && existsSync(join(deps.rendererDir, 'index.html')) ? deps.rendererDir : undefined;
  if (renderer) {
    app.use((req: Request, res: Response, next: NextFunction) => {
      if (req.path.startsWith('/api/') || req.path === '/api' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
      const fromQuery = typeof req.query.token === 'string' ? req.query.token : undefined;
      if (fromQuery && sameSecret(fromQuery, deps.sessionToken)) {
        res.setHeader('Set-Cookie', `${sessionCookieName(deps.port())}=${encodeURIComponent(fromQuery)}; HttpOnly; SameSite=Strict; Path=/`);
        // A fixed target: the request path (`//evil.example/`) would make this an open redirect.
        return res.redirect(303, '/');
      }
      next();
    });
    app.use(staticAssets(renderer));
    // Client-side routes fall back to the single page.
    app.get(/^\/(?!api(\/|$)).*/, (_req, res) => res.sendFile(join(renderer, 'index.html')));
  }

  app.use((req: Request, res: Response, next: NextFunction) => {
    const fromQuery = typeof req.query.token === 'string' ? req.query.token : undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const presented = fromQuery ?? bearer ?? cookie(req, sessionCookieName(deps.port()));
    if (!presented || !sameSecret(presented, deps.sessionToken)) {
      return sendError(res, 401, 'session_required', 'Open the admin address printed when Spec2Tickets started (it carries the session token)');
    }
    if (fromQuery) {
      res.setHeader('Set-Cookie', `${sessionCookieName(deps.port())}=${encodeURIComponent(presented)}; HttpOnly; SameSite=Strict; Path=/`);
    }
    next();
  });

  const api = express.Router();
  api.use(express.json({ limit: ADMIN_BODY_LIMIT }));
  const pages = new ParsedPageCache(deps.parse);
  const reports = new DerivedCache<BreakdownReport>();
  const diffs = new DerivedCache<BreakdownDiffSummary>();
  /** The latest breakdown's report against the latest snapshot, computed once per version (shared by the detail and approval). */
  const reportOf = (jobId: string, snapshot: PageSnapshot | null, latest: { versionNo: number; body: unknown } | null): JobDetailResponse['report'] => {
    if (!snapshot?.body || !latest?.body) return null;
    try {
      return reports.get(`${jobId}\u0000${snapshot.version}\u0000${snapshot.fetchedAt}\u0000${latest.versionNo}`, () => deps.check(pages.get(jobId, snapshot)!, parseBreakdown(latest.body)));
    } catch (err) {
      return { error: `The breakdown could not be checked: ${(err as Error).message}` };
    }
  };
  const report = async (jobId: string) => {
    const [snapshot, latest] = await Promise.all([deps.store.latestSnapshot(jobId), deps.store.latestBreakdown(jobId)]);
    return reportOf(jobId, snapshot ?? null, latest ?? null);
  };
  api.use(reviewRoutes({ store: deps.store, runner: deps.runner, pages, actor, report }));
  if (deps.connections) api.use(connectionRoutes(deps.connections));

  const jobOr404 = async (id: string) => {
    const job = await deps.store.getJob(id);
    if (!job) throw new ApiError(404, 'job_not_found', `There is no job ${id}`);
    return job;
  };

  api.get('/session', (_req, res) => {
    res.json({ ok: true });
  });

  api.get('/jobs', async (req, res) => {
    const q = req.query;
    const states = typeof q.state === 'string' ? q.state.split(',').filter(Boolean) : [];
    const bad = states.filter((s) => !isJobState(s));
    if (bad.length) throw new ApiError(400, 'validation_failed', `Unknown job state: ${bad.join(', ')}`, ['state']);
    const limit = Math.min(500, Math.max(1, Number(q.limit ?? 100) || 100));
    const offset = Math.max(0, Number(q.offset ?? 0) || 0);
    const jobs = await deps.store.listJobs({
      states: states as JobState[],
      pageId: typeof q.pageId === 'string' ? q.pageId : undefined,
      requestedBy: typeof q.requestedBy === 'string' ? q.requestedBy : undefined,
      limit,
      offset,
    });
    const body: JobListResponse = {
      jobs: await Promise.all(jobs.map(async (j) => jobStatusView(j, await deps.store.createdIssues(j.id)))),
      defaultProjectKey: (await deps.settings.current()).config.jiraProjectKey ?? null,
    };
    res.json(body);
  });

  api.get('/jobs/:id', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const [snapshot, versions, latest, decisions, candidates, searchOutcome, issues] = await Promise.all([
      deps.store.latestSnapshot(job.id),
      deps.store.breakdownVersionList(job.id),
      deps.store.latestBreakdown(job.id),
      deps.store.duplicateDecisions(job.id),
      deps.store.duplicateCandidates(job.id),
      deps.store.latestAuditOf(job.id, SEARCH_OUTCOMES),
      deps.store.createdIssues(job.id),
    ]);
    // Only the latest body is read with the list; the generated one only when its diff is not kept yet
    // (a job saved 30 times no longer parses 30 bodies on every view).
    const generated = versions.findLast((v) => v.kind === 'generated');
    const report = reportOf(job.id, snapshot ?? null, latest ?? null);
    let diff: BreakdownDiffSummary | null = null;
    if (generated && latest?.body && latest.versionNo !== generated.versionNo) {
      const key = `${job.id}\u0000${generated.versionNo}\u0000${latest.versionNo}`;
      diff = diffs.peek(key) ?? null;
      if (!diff) {
        const read = await deps.store.generatedBreakdown(job.id);
        const body = read?.versionNo === generated.versionNo ? read.body : null;
        if (body) diff = diffs.get(key, () => summariseDiff(diffBreakdowns(parseBreakdown(body), parseBreakdown(latest.body))));
      }
    }
    const defaultProject = (await deps.settings.current()).config.jiraProjectKey;
    const body: JobDetailResponse = {
      job: jobStatusView(job, issues),
      targetProject: job.projectKey ? { key: job.projectKey, source: 'job' } : defaultProject ? { key: defaultProject, source: 'settings' } : null,
      approvedBy: job.approvedBy,
      purgedAt: job.purgedAt,
      snapshot: snapshot
        ? { version: snapshot.version, title: snapshot.title, webUrl: snapshot.webUrl, fetchedAt: snapshot.fetchedAt, bytes: snapshot.body === null ? null : Buffer.byteLength(snapshot.body), purged: snapshot.body === null }
        : null,
      breakdown: {
        latest: latest ?? null,
        generated: generated ?? null,
        versions,
        diff,
      },
      report,
      duplicates: { ...storedComparison(candidates?.candidates), searchedAt: candidates?.searchedAt ?? null, decisions, lastFailure: lastSearchFailure(searchOutcome) },
    };
    res.json(body);
  });

  api.get('/jobs/:id/audit', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const q = validate(AuditPageQuery, { limit: req.query.limit, before: req.query.before }, 'query');
    const page = await deps.store.auditPage(job.id, { limit: q.limit, before: q.before });
    const body: JobAuditResponse = { jobId: job.id, ...page };
    res.json(body);
  });

  api.put('/jobs/:id/breakdown', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const body = validate(BreakdownPutSchema, req.body);
    if (job.state !== 'awaiting_review') throw new ApiError(409, 'not_in_review', `Job ${job.id} is ${job.state.replace('_', ' ')}; only a breakdown awaiting review can be edited`);
    let breakdown: Breakdown;
    try {
      breakdown = parseBreakdown(body.breakdown);
    } catch (err) {
      if (err instanceof BreakdownValidationError) throw new ApiError(400, 'invalid_breakdown', err.message, err.problems.map((p) => `breakdown.${p.split(':')[0]}`));
      throw err;
    }
    const version = await deps.store.addBreakdownVersion(job.id, 'edited', breakdown, actor(req, body.author));
    res.json({ versionNo: version.versionNo, kind: version.kind, author: version.author, createdAt: version.createdAt });
  });

  const action = (name: 'cancel' | 'retry') =>
    api.post(`/jobs/:id/${name}`, async (req, res) => {
      const job = await jobOr404(String(req.params.id));
      const { by } = validate(ActorSchema, req.body);
      const next = await deps.runner[name](job.id, actor(req, by));
      res.json(jobStatusView(next, await deps.store.createdIssues(job.id)));
    });
  action('cancel');
  action('retry');
  api.post('/jobs/:id/reject', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const { by, reason } = validate(RejectSchema, req.body);
    const next = await deps.runner.reject(job.id, actor(req, by), reason);
    res.json(jobStatusView(next, []));
  });

  api.put('/jobs/:id/project', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const body = validate(ProjectPutSchema, req.body);
    const notInReview = () => new ApiError(409, 'not_in_review', `Job ${job.id} is ${job.state.replace('_', ' ')}; the Jira project can only be changed while the job awaits review`);
    if (job.state !== 'awaiting_review') throw notInReview();
    const by = actor(req, body.by);
    const next = await deps.store.setJobProject(job.id, body.projectKey, by);
    if (!next) throw notInReview();
    // Decisions about issues of the project the job no longer targets (skip it, link to it) would
    // skip or link items against the wrong project: they go, and the reviewer decides again.
    const defaultProject = (await deps.settings.current()).config.jiraProjectKey ?? null;
    const from = job.projectKey ?? defaultProject;
    const to = next.projectKey ?? defaultProject;
    let duplicatesCleared: ProjectChangeResponse['duplicatesCleared'] = null;
    if (from && from !== to) {
      const count = await deps.store.clearDuplicateDecisions(job.id, { issueProject: from, reason: 'project_changed', actor: by });
      if (count > 0) {
        duplicatesCleared = {
          count,
          reason: 'project_changed',
          message: `${count} duplicate decision${count === 1 ? '' : 's'} about ${from} issues ${count === 1 ? 'was' : 'were'} cleared because the job now targets ${to ?? 'no project'}; decide again after the new duplicate search.`,
        };
      }
    }
    // Likely duplicates were looked for in the old project; look again in the new one.
    if (next.projectKey !== job.projectKey) void deps.runner.searchDuplicates(job.id, by);
    const response: ProjectChangeResponse = { ...jobStatusView(next, await deps.store.createdIssues(job.id)), duplicatesCleared };
    res.json(response);
  });

  api.post('/jobs/:id/duplicates/search', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const r = await deps.runner.searchDuplicates(job.id, actor(req));
    if (!r.ok) throw new ApiError(502, 'duplicate_search_failed', r.message ?? 'Duplicate search failed');
    const stored = await deps.store.duplicateCandidates(job.id);
    res.json({ ...storedComparison(stored?.candidates), searchedAt: stored?.searchedAt ?? null, decisions: await deps.store.duplicateDecisions(job.id) });
  });

  api.put('/jobs/:id/duplicates/:itemId', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const d = validate(DuplicateSchema, req.body);
    const itemId = String(req.params.itemId);
    if (job.state !== 'awaiting_review') throw new ApiError(409, 'not_in_review', `Job ${job.id} is ${job.state.replace('_', ' ')}; duplicate decisions are made during review`);
    const latest = await deps.store.latestBreakdown(job.id);
    const children = latest?.body ? childCount(parseBreakdown(latest.body), itemId) : undefined;
    if (children === undefined) throw new ApiError(404, 'item_not_found', `The breakdown of job ${job.id} has no item ${itemId}`);
    // Skipping an item with children is allowed: the existing issue stands in for it and its children go under it.
    await deps.store.setDuplicateDecision({ jobId: job.id, itemId, issueKey: d.issueKey, decision: d.decision, decidedBy: actor(req, d.by) });
    res.json({ duplicates: await deps.store.duplicateDecisions(job.id) });
  });

  api.use(resyncRoutes({ store: deps.store, runner: deps.runner }));

  api.get('/settings', async (_req, res) => {
    res.json(await deps.settings.view());
  });

  api.put('/settings', async (req, res) => {
    const update = validate(SettingsUpdateSchema, req.body, 'settings');
    try {
      res.json(await deps.settings.update(update, actor(req)));
    } catch (err) {
      if (err instanceof SecretStoreReadOnlyError) throw new ApiError(409, err.code, err.message, ['secrets.atlassianApiToken']);
      throw err;
    }
  });

  api.get('/audit', async (req, res) => {
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 200) || 200));
    res.json({ audit: await deps.store.auditLog(null, limit) });
  });

  api.get('/keys', async (_req, res) => {
    res.json({ keys: await deps.apiKeys.list() });
  });
  api.post('/keys', async (req, res) => {
    const { name } = validate(KeyCreateSchema, req.body);
    res.status(201).json(await deps.apiKeys.create(name, actor(req)));
  });
  api.post('/keys/:id/rotate', async (req, res) => {
    const { graceHours } = validate(KeyRotateSchema, req.body);
    const issued = await deps.apiKeys.rotate(String(req.params.id), actor(req), graceHours);
    if (!issued) throw new ApiError(404, 'key_not_found', `There is no active API key ${String(req.params.id)}`);
    res.status(201).json(issued);
  });
  api.delete('/keys/:id', async (req, res) => {
    if (!(await deps.apiKeys.revoke(String(req.params.id), actor(req)))) throw new ApiError(404, 'key_not_found', `There is no active API key ${String(req.params.id)}`);
    res.json({ revoked: true });
  });

  api.get('/model', (_req, res) => {
    const body: ModelResponse = { engine: deps.engine.name, status: deps.engine.status(), actions: Object.keys(deps.modelActions ?? {}) };
    res.json(body);
  });
  if (deps.modelControl) api.use(modelRoutes(deps.modelControl));
  api.post('/model/:action', async (req, res) => {
    const name = String(req.params.action);
    // Own properties only: `__proto__` or `constructor` must not reach Object.prototype.
    const fn = deps.modelActions && Object.hasOwn(deps.modelActions, name) ? deps.modelActions[name] : undefined;
    if (typeof fn !== 'function') throw new ApiError(404, 'unknown_model_action', `The model engine "${deps.engine.name}" has no action "${String(req.params.action)}"`);
    res.json({ result: (await fn(req.body)) ?? null, status: deps.engine.status() });
  });

  api.get('/health', async (_req, res) => {
    res.json(await deps.health());
  });

  api.get('/events', async (req, res) => {
    const open = await deps.store.listJobs({ states: ['queued', 'fetching', 'generating', 'awaiting_review', 'approved', 'creating'], limit: 200 });
    deps.events.stream(req, res, [
      { type: 'model', data: deps.engine.status() },
      { type: 'background', data: deps.background() },
      ...open.map((j) => ({ type: 'job' as const, data: jobStatusView(j, []) })),
    ]);
  });

  app.use('/api', api);
  app.use('/api', notFoundRoute);
  app.use(notFoundRoute);
  app.use(errorHandler((msg, f) => deps.log.error(msg, f)));
  return app;
}
