// The product's pipeline wired from its real parts: Confluence page read, spec parser, breakdown
// engine, breakdown checks and Jira creation, each reading the current site settings and
// credentials at the moment it runs (so a token changed in Settings applies to the next job).

import type { Config } from '../config/config.ts';
import type { SettingsService } from '../config/settings.ts';
import { checkBreakdown } from '../breakdown/checkBreakdown.ts';
import { parseSpec } from '../spec/index.ts';
import { z } from 'zod';
import type { BreakdownEngine } from '../model/types.ts';
import { createEngine, LlamaBreakdownEngine } from '../model/index.ts';
import { MODEL_CATALOGUE } from '../model/catalogue.ts';
import { fetchConfluencePage, checkConfluence } from '../atlassian/confluence.ts';
import type { FetchLike } from '../atlassian/transport.ts';
import { checkJira, createJiraClient } from '../jira/client.ts';
import { createBreakdownInJira, jobLabel } from '../jira/createIssues.ts';
import { findDuplicates } from '../jira/findDuplicates.ts';
import { flattenBreakdown } from '../breakdown/schema.ts';
import type { Logger } from '../jobs/runner.ts';
import type { BackendParts } from './backend.ts';
import type { ModelActions } from './admin.ts';
import { validate } from './httpErrors.ts';

class NotConfiguredError extends Error {
  readonly code = 'not_configured';
}

/** The embedded Qwen engine when a model file is configured, else the drafter. */
export async function createProductEngine(config: Config, log: Logger): Promise<BreakdownEngine> {
  if (!config.model) return createEngine({ kind: 'drafter' });
  const engine = await createEngine({ kind: 'llama', modelPath: config.model });
  const s = engine.status();
  if (s.state === 'error') log.error('the model did not load; jobs will fail until it does', { model: config.model, message: s.message });
  return engine;
}

const LoadModelSchema = z.object({ modelPath: z.string().trim().min(1, 'must be the path of a .gguf file') }).strict();

/** Model management the admin API offers for the engine in use. */
export function modelActionsFor(engine: BreakdownEngine): ModelActions {
  const actions: ModelActions = { catalogue: async () => MODEL_CATALOGUE };
  if (engine instanceof LlamaBreakdownEngine) {
    actions.load = async (body) => {
      const { modelPath } = validate(LoadModelSchema, body);
      await engine.load(modelPath);
      return { loaded: modelPath };
    };
  }
  return actions;
}

export interface ProductPartsOptions {
  /** HTTP client for Atlassian calls (tests pass one that counts or refuses egress). */
  fetch?: FetchLike;
}

export function productParts(o: ProductPartsOptions = {}): (ctx: { settings: SettingsService; engine: BreakdownEngine; log: Logger }) => BackendParts {
  return ({ settings, engine }) => {
    const site = async () => {
      const s = await settings.site();
      if (!s.ok) throw new NotConfiguredError(s.message);
      return s.site;
    };
    const parse = (snap: { title: string; body: string }) => parseSpec(snap.body, { format: 'storage', title: snap.title });
    return {
      steps: {
        engine,
        parse,
        fetchPage: async (job, signal) => {
          const page = await fetchConfluencePage(await site(), job.pageId, { fetch: o.fetch, signal, version: job.pageVersion ?? undefined });
          return { title: page.title, version: page.version, body: page.storage, webUrl: page.webUrl };
        },
        findDuplicates: async ({ job, breakdown, signal }) => {
          const s = await site();
          const projectKey = (await settings.current()).config.jiraProjectKey;
          if (!projectKey) throw new NotConfiguredError('No Jira project is set, so there is nothing to compare with');
          const client = createJiraClient(s, { fetch: o.fetch, signal });
          const items = flattenBreakdown(breakdown).map((x) => ({ id: x.item.id, title: x.item.title }));
          const found = await findDuplicates(client, projectKey, items, { signal, excludeLabel: jobLabel(job.id) });
          return found.filter((f) => f.candidates.length > 0);
        },
        createIssues: async ({ job, breakdown, snapshot, ledger, onProgress, signal }) => {
          const s = await site();
          const projectKey = (await settings.current()).config.jiraProjectKey;
          if (!projectKey) throw new NotConfiguredError('No Jira project is set: choose one in Settings (or SPEC2TICKETS_JIRA_PROJECT) and retry the job');
          const client = createJiraClient(s, { fetch: o.fetch, signal });
          const result = await createBreakdownInJira({
            client,
            site: s,
            projectKey,
            breakdown,
            jobId: job.id,
            pageUrl: snapshot.webUrl,
            pageTitle: snapshot.title,
            ledger,
            onProgress: (p) => onProgress({ phase: p.phase, created: p.done, total: p.total, message: p.message }),
            signal,
          });
          return { created: result.created.length, reused: result.adopted.length, failed: result.failed, warnings: result.warnings };
        },
      },
      check: (doc, breakdown) => checkBreakdown(doc, breakdown),
      modelActions: modelActionsFor(engine),
      checkJira: async () => {
        const s = await settings.site();
        return s.ok ? checkJira(s.site, { fetch: o.fetch, timeoutMs: 5000 }) : { ok: false, message: s.message, code: 'not_configured' };
      },
      checkConfluence: async () => {
        const s = await settings.site();
        return s.ok ? checkConfluence(s.site, { fetch: o.fetch, timeoutMs: 5000 }) : { ok: false, message: s.message, code: 'not_configured' };
      },
    };
  };
}
