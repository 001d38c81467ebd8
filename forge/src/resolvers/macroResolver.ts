// Resolvers behind the "Generate Jira breakdown" macro. The page, site and requester come from the
// invocation context Forge supplies, not from the browser's payload, so a macro can only ask for
// the page it sits on and only read the status of jobs for that page. Only a user who can edit the
// page may start a breakdown (it uses the backend's GPU and creates work for reviewers), and the
// page's version is read from Confluence as that user, never taken from the browser. The same holds
// for a re-sync ("update the Jira issues from this version"): it only asks the backend, which drafts
// the new version and proposes the updates for a reviewer to approve. Each call is one short backend
// request: the backend answers with a job id at once and the macro polls.

import { makeResolver } from '@forge/resolver';
import { createBackendClient, type FetchLike } from '#src/backend/backendClient';
import { macroJobView } from '#src/macro/macroJobView';
import { macroJobKey, readConnection, type SettingsKvs } from '#src/settings/settingsStore';
import type { Failure, MacroDefinitions } from '#src/resolvers/definitions';
import { guarded } from '#src/resolvers/guarded';
import type { ConfluenceAsUser } from '#src/confluence/confluence';

export interface MacroResolverDeps {
  kvs: SettingsKvs;
  fetch: FetchLike;
  /** Confluence, as the user looking at the macro. */
  confluence: ConfluenceAsUser;
  now?: () => Date;
  /** Per backend request; default 10 s (Forge allows a resolver 25 s in all). */
  timeoutMs?: number;
}

interface MacroContext {
  pageId: string;
  siteUrl: string;
  accountId: string;
  localId: string;
}

interface RememberedJob {
  jobId: string;
  requestedAt: string;
  requestedBy: string;
}

export function macroResolver(deps: MacroResolverDeps) {
  const now = deps.now ?? (() => new Date());
  const timeoutMs = deps.timeoutMs ?? 10_000;

  /**
   * What both requests of an editor need: the macro's page, the saved connection, and that Confluence
   * shows the user the page and lets them edit it (read as that user); else the failure to show.
   */
  const asEditor = async (context: Record<string, unknown>, notAllowed: Failure) => {
    const ctx = macroContext(context);
    if (!ctx.ok) return ctx;
    const conn = await readConnection(deps.kvs);
    if (!conn.ok) return { ok: false as const, failure: failure('not_configured', conn.message) };
    const page = await deps.confluence.page(ctx.value.pageId);
    if (page === null) return { ok: false as const, failure: failure('page_not_visible', 'Confluence does not show you this page any more; reload it, and ask its owner for access if you should have it.') };
    if (!page.canEdit) return { ok: false as const, failure: notAllowed };
    const client = createBackendClient({ baseUrl: conn.backendUrl, apiKey: conn.apiKey, fetch: deps.fetch, timeoutMs });
    return { ok: true as const, ctx: ctx.value, conn, page, client };
  };

  return makeResolver<MacroDefinitions>({
    requestBreakdown: guarded(async ({ context }) => {
      const editor = await asEditor(context, failure('not_allowed', 'Only people who can edit this page can request a Jira breakdown of it. Ask the page owner for edit access, or ask someone who has it.'));
      if (!editor.ok) return editor.failure;
      const { ctx, conn, page, client } = editor;
      const version = page.version;
      const res = await client.createJob({
        pageId: ctx.pageId,
        siteUrl: ctx.siteUrl,
        requestedBy: ctx.accountId,
        pageVersion: version,
        // The project chosen on the admin page; the backend may restrict which ones it accepts.
        ...(conn.jiraProjectKey ? { projectKey: conn.jiraProjectKey } : {}),
      });
      if (!res.ok) return failure(res.problem.code, res.problem.message);
      const remembered: RememberedJob = { jobId: res.value.jobId, requestedAt: now().toISOString(), requestedBy: ctx.accountId };
      await deps.kvs.set(macroJobKey(ctx.pageId, ctx.localId), remembered);
      return { ok: true as const, jobId: res.value.jobId, created: res.value.created, state: res.value.state };
    }, 'request a breakdown'),

    requestResync: guarded(async ({ context }) => {
      const editor = await asEditor(context, failure('not_allowed_resync', 'Only people who can edit this page can ask for its Jira issues to be updated. Ask the page owner for edit access, or ask someone who has it.'));
      if (!editor.ok) return editor.failure;
      const { ctx, page, client } = editor;
      const res = await client.requestResync({ pageId: ctx.pageId, siteUrl: ctx.siteUrl, requestedBy: ctx.accountId, pageVersion: page.version });
      if (!res.ok) return failure(res.problem.backendCode === 'nothing_to_resync' || res.problem.backendCode === 'page_unchanged' ? res.problem.backendCode : res.problem.code, res.problem.message);
      const remembered: RememberedJob = { jobId: res.value.jobId, requestedAt: now().toISOString(), requestedBy: ctx.accountId };
      await deps.kvs.set(macroJobKey(ctx.pageId, ctx.localId), remembered);
      return { ok: true as const, jobId: res.value.jobId, created: res.value.created, state: res.value.state, from: res.value.resyncOf.version, to: page.version };
    }, 'request an update of the Jira issues'),

    getJobStatus: guarded(async ({ payload, context }) => {
      const ctx = macroContext(context);
      if (!ctx.ok) return ctx.failure;
      const conn = await readConnection(deps.kvs);
      if (!conn.ok) return failure('not_configured', conn.message);
      const asked = typeof payload?.jobId === 'string' && payload.jobId.trim() !== '' ? payload.jobId.trim() : null;
      if (asked !== null && !/^[A-Za-z0-9_-]{1,100}$/.test(asked)) return failure('invalid_job_id', 'That is not a Spec2Tickets job id.');
      const jobId = asked ?? (await deps.kvs.get<RememberedJob>(macroJobKey(ctx.value.pageId, ctx.value.localId)))?.jobId ?? null;
      if (jobId === null) return { ok: true as const, job: null, jiraProjectKey: conn.jiraProjectKey };
      const client = createBackendClient({ baseUrl: conn.backendUrl, apiKey: conn.apiKey, fetch: deps.fetch, timeoutMs });
      // Whether the page moved on since this breakdown, and since the one in Jira; if Confluence cannot say right now, the status still shows.
      const current = await deps.confluence.page(ctx.value.pageId).catch(() => null);
      const res = await client.getJob(jobId, current?.version);
      if (!res.ok) return failure(res.problem.code, res.problem.message);
      // Job ids are not secrets; this keeps one page's macro from showing another page's job.
      if (res.value.pageId !== ctx.value.pageId) return failure('job_not_for_this_page', 'That job belongs to another page.');
      const view = macroJobView(res.value, { currentPageVersion: current?.version ?? null, canEdit: current?.canEdit ?? false });
      // The job's own project: a reviewer may have changed it, and older jobs may have none.
      return { ok: true as const, job: view, jiraProjectKey: res.value.projectKey ?? conn.jiraProjectKey };
    }, 'read the job status'),
  });
}

function failure(code: string, message: string): Failure {
  return { ok: false, code, message };
}

/** Reads what the macro needs from Forge's invocation context, with a message when it is missing. */
function macroContext(context: Record<string, unknown>): { ok: true; value: MacroContext } | { ok: false; failure: Failure } {
  const ext = (context.extension ?? {}) as { content?: { id?: unknown } };
  const rawId = ext.content?.id;
  const pageId = typeof rawId === 'number' ? String(rawId) : typeof rawId === 'string' ? rawId : '';
  if (!/^[0-9]{1,20}$/.test(pageId)) {
    return { ok: false, failure: failure('no_page', 'This macro only works on a published Confluence page; save the page and try again.') };
  }
  const accountId = typeof context.accountId === 'string' ? context.accountId : '';
  if (accountId === '') return { ok: false, failure: failure('anonymous', 'Log in to Confluence to request a Jira breakdown.') };
  const siteUrl = typeof context.siteUrl === 'string' ? context.siteUrl : '';
  if (!/^https?:\/\//.test(siteUrl)) return { ok: false, failure: failure('no_site', 'Forge did not say which Confluence site this is; reload the page and try again.') };
  const localId = typeof context.localId === 'string' && context.localId !== '' ? context.localId : 'page';
  return { ok: true, value: { pageId, siteUrl, accountId, localId } };
}
