// The product's pipeline wired from its real parts: Confluence page read, spec parser, breakdown
// engine, breakdown checks and Jira creation, each reading the current site settings and
// credentials at the moment it runs (so a token changed in Settings applies to the next job).

import type { Config } from '../config/config.ts';
import type { SettingsService } from '../config/settings.ts';
import { checkBreakdown } from '../breakdown/checkBreakdown.ts';
import { parseSpec } from '../spec/index.ts';
import { PageParserThread } from '../spec/parseOffThread.ts';
import { sharedDrafterThread } from '../drafter/draftOffThread.ts';
import { join } from 'node:path';
import type { BreakdownEngine } from '../model/types.ts';
import { MODEL_CATALOGUE } from '../model/catalogue.ts';
import { SwitchableEngine } from '../model/switchableEngine.ts';
import type { SwitchableEngineOptions } from '../model/switchableEngine.ts';
import { ModelControl } from '../model/modelControl.ts';
import type { LoadedConfig } from '../config/config.ts';
import type { JobStore } from '../store/types.ts';
import { fetchConfluencePage, checkConfluence } from '../atlassian/confluence.ts';
import type { FetchLike } from '../atlassian/transport.ts';
import { checkJira, createJiraClient } from '../jira/client.ts';
import { createBreakdownInJira, jobLabel } from '../jira/createIssues.ts';
import { findDuplicates } from '../jira/findDuplicates.ts';
import type { LevelMapping } from '../jira/projectMeta.ts';
import { flattenBreakdown } from '../breakdown/schema.ts';
import type { Logger } from '../jobs/runner.ts';
import { resyncSteps } from '../jobs/resync.ts';
import { resyncStoreOf } from '../jobs/resyncStore.ts';
import type { BackendParts } from './backend.ts';
import type { ModelActions } from './admin.ts';

class NotConfiguredError extends Error {
  readonly code = 'not_configured';
}

/** The model file for a configured value: a file name means the data folder's models folder. */
export function configuredModelPath(model: string, dataDir: string): string {
  return /[\\/]/.test(model) ? model : join(dataDir, 'models', model);
}

/**
 * The product's engine: switchable between the drafter and Qwen at run time. When a model is
 * configured (flag, environment or config file) it is loaded before this returns; a model that
 * fails to load leaves the drafter in use and the status saying why.
 */
export async function createProductEngine(config: Config, log: Logger, options: SwitchableEngineOptions = {}): Promise<SwitchableEngine> {
  const engine = new SwitchableEngine(options);
  if (config.model) {
    try {
      await engine.load(configuredModelPath(config.model, config.dataDir));
    } catch (err) {
      log.error('the model did not load; breakdowns are drafted until one does', { model: config.model, message: (err as Error).message });
    }
  }
  return engine;
}

/** Model operations offered on POST /api/model/:action (the older, generic route). */
export function modelActionsFor(_engine: BreakdownEngine): ModelActions {
  return { catalogue: async () => MODEL_CATALOGUE };
}

/** Saves the chosen model as the `model` setting (unless a flag or the environment fixes it), with an audit entry. */
function persistModel(store: JobStore, loaded: LoadedConfig): (model: string | undefined) => Promise<void> {
  return async (model) => {
    if (loaded.pinned.has('model')) return;
    await store.putSettings({ model: model ?? null });
    await store.audit({ jobId: null, actor: 'admin', action: model ? 'model.loaded' : 'model.unloaded', details: { model: model ?? null } });
  };
}

/**
 * Loads the model saved by an earlier Load (when no flag or environment variable pins one), in the
 * background: the backend serves with the drafter meanwhile and the status shows the load.
 */
function restoreSavedModel(control: ModelControl, store: JobStore, loaded: LoadedConfig, log: Logger): void {
  if (loaded.pinned.has('model')) return;
  void (async () => {
    const saved = (await store.getSettings()).model;
    // A chosen inference server is the engine: a model saved before it is not loaded over it.
    if (typeof saved !== 'string' || !saved || control.engine.loadedModel?.name === saved || control.engine.view().remote) return;
    try {
      await control.engine.load(control.manager.store.pathFor(saved));
    } catch (err) {
      log.error('the saved model did not load; breakdowns are drafted until one does', { model: saved, message: (err as Error).message });
    }
  })().catch(() => undefined);
}

/** The issue types the admin chose per level; a level left unset is picked from the project's hierarchy. */
export function levelMapping(config: Pick<Config, 'issueTypeEpic' | 'issueTypeStory' | 'issueTypeSubtask'>): Partial<LevelMapping> {
  return {
    ...(config.issueTypeEpic ? { epic: config.issueTypeEpic } : {}),
    ...(config.issueTypeStory ? { story: config.issueTypeStory } : {}),
    ...(config.issueTypeSubtask ? { subtask: config.issueTypeSubtask } : {}),
  };
}

export interface ProductPartsOptions {
  /** HTTP client for Atlassian calls (tests pass one that counts or refuses egress). */
  fetch?: FetchLike;
  /** HTTP client for model downloads (default: global fetch). */
  modelFetch?: typeof fetch;
}

export function productParts(o: ProductPartsOptions = {}): (ctx: { settings: SettingsService; engine: BreakdownEngine; store: JobStore; log: Logger; loaded: LoadedConfig }) => BackendParts {
  return ({ settings, engine, store, log, loaded }) => {
    const switching = engine.modelSwitching;
    const modelControl = switching
      ? new ModelControl({ engine: switching, dataDir: loaded.config.dataDir, persist: persistModel(store, loaded), fetch: o.modelFetch, downloadHosts: loaded.config.modelDownloadHosts, importDirs: loaded.config.modelImportDirs })
      : undefined;
    if (modelControl) restoreSavedModel(modelControl, store, loaded, log);
    const site = async () => {
      const s = await settings.site();
      if (!s.ok) throw new NotConfiguredError(s.message);
      return s.site;
    };
    const parse = (snap: { title: string; body: string }) => parseSpec(snap.body, { format: 'storage', title: snap.title });
    const parserThread = new PageParserThread(log);
    const parseOffThread = (snap: { title: string; body: string }) => parserThread.parse(snap);
    // The drafter engine and the model pipeline's gap drafting share one drafter thread; say here if it cannot start.
    sharedDrafterThread().useLog(log);
    const resyncStore = resyncStoreOf(store);
    const resync = resyncStore
      ? resyncSteps({
          store,
          resync: resyncStore,
          parse: parseOffThread,
          jira: async (signal) => createJiraClient(await site(), { fetch: o.fetch, signal }),
          projectKey: async (job) => job.projectKey ?? (await settings.current()).config.jiraProjectKey ?? null,
          mapping: async () => levelMapping((await settings.current()).config),
        })
      : undefined;
    return {
      steps: {
        engine,
        parse,
        parseOffThread,
        ...(resync ? { resync } : {}),
        fetchPage: async (job, signal) => {
          const page = await fetchConfluencePage(await site(), job.pageId, { fetch: o.fetch, signal, version: job.pageVersion ?? undefined });
          return { title: page.title, version: page.version, body: page.storage, webUrl: page.webUrl };
        },
        findDuplicates: async ({ job, breakdown, signal }) => {
          const s = await site();
          const projectKey = job.projectKey ?? (await settings.current()).config.jiraProjectKey;
          if (!projectKey) throw new NotConfiguredError('No Jira project is set, so there is nothing to compare with');
          const client = createJiraClient(s, { fetch: o.fetch, signal });
          const items = flattenBreakdown(breakdown).map((x) => ({ id: x.item.id, title: x.item.title }));
          const found = await findDuplicates(client, projectKey, items, { signal, excludeLabel: jobLabel(job.id) });
          return found.filter((f) => f.candidates.length > 0);
        },
        createIssues: async ({ job, breakdown, snapshot, ledger, relatesTo, existing, onProgress, signal }) => {
          const s = await site();
          const { config } = await settings.current();
          // The job's own project (from Forge or the reviewer) wins over the backend's setting.
          const projectKey = job.projectKey ?? config.jiraProjectKey;
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
            relatesTo,
            existing,
            mapping: levelMapping(config),
            onProgress: (p) => onProgress({ phase: p.phase, created: p.done, total: p.total, message: p.message }),
            signal,
          });
          return { created: result.created.length, reused: result.adopted.length, failed: result.failed, warnings: result.warnings };
        },
      },
      check: (doc, breakdown) => checkBreakdown(doc, breakdown),
      modelActions: modelActionsFor(engine),
      modelControl,
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
