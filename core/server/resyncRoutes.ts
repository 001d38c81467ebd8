// Admin routes for re-sync (/api/jobs/:id/resync, /api/resync/settings): the plan for a page broken
// down again (block lineage, proposed updates with before/after per field, issues to mark as removed,
// unchanged issues, what changed in Jira), the reviewer's decision per issue, the approval summary
// counts, and the transition an admin wants run on issues whose requirement left the page.

import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import type { JobStore } from '../store/types.ts';
import type { JobRunner } from '../jobs/runner.ts';
import { applySkips } from '../jobs/skipItems.ts';
import { actionFor, REMOVED_TRANSITION_SETTING, resyncCounts, withLatestItems, type ResyncAction, type ResyncCounts, type ResyncPlan } from '../jobs/resync.ts';
import { RESYNC_FIELDS, resyncStoreOf, type ResyncDecision, type ResyncStepRecord, type ResyncStore } from '../jobs/resyncStore.ts';
import { ApiError, validate } from './httpErrors.ts';

const by = z.string().trim().min(1).max(200).optional();
const ResyncDecisionSchema = z
  .object({
    decision: z.enum(['accept', 'decline']),
    /** Updates: the fields to apply (default: every proposed change). */
    fields: z.array(z.enum(RESYNC_FIELDS)).max(RESYNC_FIELDS.length).optional(),
    /** Updates: the reviewer's own values for some fields. */
    edits: z
      .object({
        summary: z.string().trim().min(1).max(255).optional(),
        description: z.string().max(4000).optional(),
        acceptanceCriteria: z.array(z.string().trim().min(1).max(400)).max(8).optional(),
        estimate: z.number().positive().max(1000).nullable().optional(),
      })
      .strict()
      .optional(),
    /** The issue changed in Jira since we wrote it: apply the page's version anyway. */
    overwriteJira: z.boolean().optional(),
    by,
  })
  .strict();
export type ResyncDecisionRequest = z.input<typeof ResyncDecisionSchema>;
const ResyncSettingsSchema = z.object({ removedTransition: z.string().trim().max(100).nullable(), by }).strict();

/** GET /api/jobs/:id/resync */
export interface ResyncResponse {
  /** Null when the page put nothing into Jira before this job (nothing to re-sync). */
  plan: ResyncPlan | null;
  builtAt: string | null;
  decisions: ResyncDecision[];
  /** Per issue of the plan (updates and marks): what approval will do. */
  actions: Record<string, ResyncAction>;
  /** The approval summary: to create, to update, to mark, unchanged (held: changed in Jira, not overwritten). */
  counts: ResyncCounts;
  /** Jira steps recorded so far (after approval). */
  steps: ResyncStepRecord[];
  removedTransition: string | null;
}

const actor = (req: Request, given?: string) => given ?? req.get('x-spec2tickets-user')?.slice(0, 200) ?? 'admin';

export function resyncRoutes(deps: { store: JobStore; runner: Pick<JobRunner, 'searchDuplicates'> }): Router {
  const r = express.Router();
  const resync = (): ResyncStore => {
    const s = resyncStoreOf(deps.store);
    if (!s) throw new ApiError(501, 'resync_unavailable', 'Re-sync needs the SQLite job store');
    return s;
  };
  const jobOr404 = async (id: string) => {
    const job = await deps.store.getJob(id);
    if (!job) throw new ApiError(404, 'job_not_found', `There is no job ${id}`);
    return job;
  };
  const transitionSetting = async () => {
    const v = (await deps.store.getSettings())[REMOVED_TRANSITION_SETTING];
    return typeof v === 'string' && v ? v : null;
  };

  const view = async (jobId: string): Promise<ResyncResponse> => {
    const s = resync();
    const stored = s.plan(jobId);
    const latest = await deps.store.latestBreakdown(jobId);
    const plan = stored?.body ? withLatestItems(stored.body as ResyncPlan, latest?.body) : null;
    const decisions = s.decisions(jobId);
    const byKey = new Map(decisions.map((d) => [d.issueKey, d]));
    let toCreate = 0;
    if (latest?.body) {
      const skips = new Map((await deps.store.duplicateDecisions(jobId)).filter((d) => d.decision === 'skip').map((d) => [d.itemId, d.issueKey]));
      const { breakdown, existing } = applySkips(parseBreakdown(latest.body), skips);
      toCreate = flattenBreakdown(breakdown).length - existing.size;
    }
    const actions: Record<string, ResyncAction> = {};
    for (const p of [...(plan?.updates ?? []), ...(plan?.marks ?? [])]) actions[p.issueKey] = actionFor(p, byKey.get(p.issueKey));
    return { plan, builtAt: stored?.builtAt ?? null, decisions, actions, counts: resyncCounts(plan, decisions, toCreate), steps: s.steps(jobId), removedTransition: await transitionSetting() };
  };

  r.get('/jobs/:id/resync', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    res.json(await view(job.id));
  });

  r.post('/jobs/:id/resync/rebuild', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    if (job.state !== 'awaiting_review') throw new ApiError(409, 'not_in_review', `Job ${job.id} is ${job.state.replace('_', ' ')}; the re-sync plan is rebuilt during review`);
    const result = await deps.runner.searchDuplicates(job.id, actor(req));
    if (!result.ok && !resync().plan(job.id)) throw new ApiError(502, 'resync_failed', result.message ?? 'The re-sync plan could not be built');
    res.json(await view(job.id));
  });

  r.put('/jobs/:id/resync/:issueKey', async (req, res) => {
    const job = await jobOr404(String(req.params.id));
    const body = validate(ResyncDecisionSchema, req.body);
    if (job.state !== 'awaiting_review') throw new ApiError(409, 'not_in_review', `Job ${job.id} is ${job.state.replace('_', ' ')}; re-sync decisions are made during review`);
    const issueKey = String(req.params.issueKey);
    const stored = resync().plan(job.id)?.body as ResyncPlan | null | undefined;
    const plan = stored ? withLatestItems(stored, (await deps.store.latestBreakdown(job.id))?.body) : null;
    const kind = plan?.updates.some((u) => u.issueKey === issueKey) ? 'update' : plan?.marks.some((m) => m.issueKey === issueKey) ? 'mark' : undefined;
    if (!kind) throw new ApiError(404, 'proposal_not_found', `Job ${job.id} proposes nothing for ${issueKey}: only issues with a proposed update or mark can be decided`);
    if (kind === 'mark' && (body.fields || body.edits || body.overwriteJira)) {
      throw new ApiError(400, 'validation_failed', `${issueKey} is to be marked as removed from the page: only accept or decline apply to it`, ['fields', 'edits', 'overwriteJira']);
    }
    const who = actor(req, body.by);
    resync().setDecision({ jobId: job.id, issueKey, kind, decision: body.decision, ...(body.fields ? { fields: body.fields } : {}), ...(body.edits ? { edits: body.edits } : {}), ...(body.overwriteJira ? { overwriteJira: true } : {}), decidedBy: who });
    await deps.store.audit({ jobId: job.id, actor: who, action: 'resync.decided', details: { issueKey, kind, decision: body.decision, fields: body.fields ?? null, edited: Object.keys(body.edits ?? {}), overwriteJira: body.overwriteJira === true } });
    res.json(await view(job.id));
  });

  r.get('/resync/settings', async (_req, res) => {
    res.json({ removedTransition: await transitionSetting() });
  });

  r.put('/resync/settings', async (req, res) => {
    const body = validate(ResyncSettingsSchema, req.body);
    await deps.store.putSettings({ [REMOVED_TRANSITION_SETTING]: body.removedTransition || null });
    await deps.store.audit({ jobId: null, actor: actor(req, body.by), action: 'settings.resync', details: { removedTransition: body.removedTransition || null } });
    res.json({ removedTransition: await transitionSetting() });
  });

  return r;
}
