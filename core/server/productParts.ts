// The product's pipeline wired from its real parts: Confluence page read, spec parser, breakdown
// engine, breakdown checks and Jira creation, each reading the current site settings and
// credentials at the moment it runs (so a token changed in Settings applies to the next job).

import type { Config } from '../config/config.ts';
import type { SettingsService } from '../config/settings.ts';
import type { Breakdown } from '../breakdown/schema.ts';
import { checkBreakdown } from '../breakdown/checkBreakdown.ts';
import { parseSpec } from '../spec/index.ts';
import { draftBreakdown } from '../drafter/draftBreakdown.ts';
import type { BreakdownEngine, ModelStatus } from '../model/types.ts';
import { fetchConfluencePage, checkConfluence } from '../atlassian/confluence.ts';
import type { FetchLike } from '../atlassian/transport.ts';
import { checkJira, createJiraClient } from '../jira/client.ts';
import { createBreakdownInJira } from '../jira/createIssues.ts';
import type { Logger } from '../jobs/runner.ts';
import type { BackendParts } from './backend.ts';

class NotConfiguredError extends Error {
  readonly code = 'not_configured';
}

/** The engine used when no model is configured: the deterministic drafter behind the engine contract. */
export class DraftingEngine implements BreakdownEngine {
  readonly name = 'drafter';
  status(): ModelStatus {
    return { state: 'absent', message: 'No model configured: breakdowns are drafted from the page structure' };
  }
  onStatus(): () => void {
    return () => {};
  }
  async generate(doc: Parameters<BreakdownEngine['generate']>[0], options: Parameters<BreakdownEngine['generate']>[1] = {}): Promise<Breakdown> {
    options.signal?.throwIfAborted();
    const b = draftBreakdown(doc);
    options.onProgress?.({ section: 1, sections: 1, tokens: 0, phase: 'done' });
    return b;
  }
  async dispose(): Promise<void> {}
}

export async function createProductEngine(config: Config, log: Logger): Promise<BreakdownEngine> {
  if (config.model) log.warn('model engine not available in this build; using the drafter', { model: config.model });
  return new DraftingEngine();
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
