// Resolvers behind the admin settings page: read and save the backend URL, API key and Jira
// project key, and "Test connection" against the backend's health endpoint. The API key goes into
// KVS secret storage and is never returned — the page only learns whether one is set. These run
// only for the admin page's module (Confluence shows global settings to site admins only).

import { makeResolver } from '@forge/resolver';
import { createBackendClient, type FetchLike } from '../backend/backendClient.ts';
import { readConnection, readSettings, validateSettingsInput, writeSettings, type SettingsKvs } from '../settings/settingsStore.ts';
import type { HealthResponse } from '../../../core/server/publicApi.ts';
import type { Failure, HealthSummary, SettingsDefinitions } from './definitions.ts';
import { guarded } from './guarded.ts';

export interface SettingsResolverDeps {
  kvs: SettingsKvs;
  fetch: FetchLike;
  now?: () => Date;
  /** For "Test connection"; default 20 s, inside Forge's 25 s resolver limit. */
  healthTimeoutMs?: number;
}

export function settingsResolver(deps: SettingsResolverDeps) {
  const now = deps.now ?? (() => new Date());
  const healthTimeoutMs = Math.min(deps.healthTimeoutMs ?? 20_000, 20_000);

  return makeResolver<SettingsDefinitions>({
    getSettings: guarded(async () => ({ ok: true as const, settings: await readSettings(deps.kvs) }), 'read the settings'),

    saveSettings: guarded(async ({ payload, context }) => {
      const current = await readSettings(deps.kvs);
      const checked = validateSettingsInput(payload, current.apiKeySet);
      if (!checked.ok) {
        return { ok: false as const, code: 'invalid', message: checked.problems.map((p) => p.message).join(' '), problems: checked.problems };
      }
      const by = typeof context.accountId === 'string' ? context.accountId : null;
      await writeSettings(deps.kvs, checked.value, by, now());
      return { ok: true as const, settings: await readSettings(deps.kvs) };
    }, 'save the settings'),

    testConnection: guarded(async ({ payload }) => {
      const target = await connectionToTest(deps.kvs, payload);
      if (!target.ok) return target.failure;
      const client = createBackendClient({ baseUrl: target.backendUrl, apiKey: target.apiKey, fetch: deps.fetch, timeoutMs: healthTimeoutMs });
      const res = await client.health();
      if (!res.ok) return { ok: false as const, code: res.problem.code, message: res.problem.message };
      const h = res.value;
      const health: HealthSummary = {
        status: h.status,
        version: h.version,
        model: describeModel(h.model),
        jira: { ok: h.jira.ok, message: h.jira.message },
        confluence: { ok: h.confluence.ok, message: h.confluence.message },
      };
      const issues = [!h.jira.ok ? `Jira: ${h.jira.message}` : null, !h.confluence.ok ? `Confluence: ${h.confluence.message}` : null].filter((x) => x !== null);
      const message =
        issues.length === 0
          ? `Connected to Spec2Tickets ${h.version}. The API key was accepted; Jira and Confluence accept the service account; model: ${health.model}.`
          : `Connected to Spec2Tickets ${h.version} and the API key was accepted, but the backend reports problems — ${issues.join('; ')}.`;
      return { ok: true as const, message, health };
    }, 'test the connection'),
  });
}

/** The saved connection, or the form's unsaved values (an empty key field means the saved key). */
async function connectionToTest(kvs: SettingsKvs, payload: unknown): Promise<{ ok: true; backendUrl: string; apiKey: string } | { ok: false; failure: Failure }> {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as { backendUrl?: unknown; apiKey?: unknown };
  const saved = await readConnection(kvs);
  const formUrl = typeof p.backendUrl === 'string' && p.backendUrl.trim() !== '' ? p.backendUrl : null;
  const formKey = typeof p.apiKey === 'string' && p.apiKey.trim() !== '' ? p.apiKey : null;
  if (formUrl === null && formKey === null) {
    if (!saved.ok) return { ok: false, failure: { ok: false, code: 'not_configured', message: saved.message } };
    return { ok: true, backendUrl: saved.backendUrl, apiKey: saved.apiKey };
  }
  const savedKey = saved.ok ? saved.apiKey : null;
  // Validated like a save (project key aside), so a test never sends the key over plain http.
  const checked = validateSettingsInput({ backendUrl: formUrl ?? (saved.ok ? saved.backendUrl : ''), apiKey: formKey ?? '', jiraProjectKey: 'XX' }, savedKey !== null);
  if (!checked.ok) return { ok: false, failure: { ok: false, code: 'invalid', message: checked.problems.map((x) => x.message).join(' '), problems: checked.problems } };
  return { ok: true, backendUrl: checked.value.backendUrl, apiKey: checked.value.apiKey ?? savedKey! };
}

function describeModel(m: HealthResponse['model']): string {
  switch (m.state) {
    case 'absent':
      return m.message ?? 'no model loaded (rule-based drafts)';
    case 'downloading':
      return `downloading ${m.model} (${Math.round(m.percent)} %)`;
    case 'loading':
      return `loading ${m.model} (${Math.round(m.percent)} %)`;
    case 'ready':
      return `${m.model} ready`;
    case 'generating':
      return `${m.model} busy (${m.queueDepth} queued)`;
    case 'error':
      return `error — ${m.message}`;
    default:
      void (m satisfies never);
      return 'unknown';
  }
}
