// Resolvers behind the admin settings page: read and save the backend URL, API key and Jira
// project key, and "Test connection" against the backend's health endpoint. The API key goes into
// KVS secret storage and is never returned — the page only learns whether one is set. Confluence
// shows the page to admins only, and every call checks again that the user administers Confluence
// (asked of Confluence as that user), so a direct invocation by anyone else is refused. A backend
// host must be in the deployed manifest's egress list (permissions.canFetchFrom) to be saved.

import { makeResolver } from '@forge/resolver';
import { createBackendClient, type FetchLike } from '#src/backend/backendClient';
import { readConnection, readSettings, validateSettingsInput, writeSettings, type SettingsKvs } from '#src/settings/settingsStore';
import type { HealthResponse } from '#src/contract/publicApi';
import type { Failure, HealthSummary, SettingsDefinitions } from '#src/resolvers/definitions';
import { guarded } from '#src/resolvers/guarded';
import type { ConfluenceAsUser } from '#src/confluence/confluence';

export interface SettingsResolverDeps {
  kvs: SettingsKvs;
  fetch: FetchLike;
  /** Confluence, as the user who opened the admin page. */
  confluence: ConfluenceAsUser;
  /** Whether the deployed manifest lets the app fetch from this URL (@forge/api permissions.canFetchFrom). */
  canFetchFrom: (url: string) => boolean;
  now?: () => Date;
  /** For "Test connection"; default 20 s, inside Forge's 25 s resolver limit. */
  healthTimeoutMs?: number;
}

export function settingsResolver(deps: SettingsResolverDeps) {
  const now = deps.now ?? (() => new Date());
  const healthTimeoutMs = Math.min(deps.healthTimeoutMs ?? 20_000, 20_000);

  /** The user must administer Confluence; answers a failure to return, or null to go on. */
  const adminOnly = async (): Promise<Failure | null> =>
    (await deps.confluence.isAdmin())
      ? null
      : { ok: false, code: 'not_admin', message: 'Only Confluence administrators can see or change the Spec2Tickets settings. Ask one of your Confluence admins.' };

  return makeResolver<SettingsDefinitions>({
    getSettings: guarded(async () => (await adminOnly()) ?? { ok: true as const, settings: await readSettings(deps.kvs) }, 'read the settings'),

    saveSettings: guarded(async ({ payload, context }) => {
      const refused = await adminOnly();
      if (refused) return refused;
      const current = await readSettings(deps.kvs);
      const checked = validateSettingsInput(payload, current.apiKeySet);
      if (!checked.ok) {
        return { ok: false as const, code: 'invalid', message: checked.problems.map((p) => p.message).join(' '), problems: checked.problems };
      }
      const egress = egressProblem(deps.canFetchFrom, checked.value.backendUrl);
      if (egress) return egress;
      // A new address with the saved key would send that key to a host nobody has vouched for with it.
      if (checked.value.apiKey === null && current.backendUrl !== null && current.backendUrl !== checked.value.backendUrl) {
        return keyRequired();
      }
      const by = typeof context.accountId === 'string' ? context.accountId : null;
      await writeSettings(deps.kvs, checked.value, by, now());
      return { ok: true as const, settings: await readSettings(deps.kvs) };
    }, 'save the settings'),

    testConnection: guarded(async ({ payload }) => {
      const refused = await adminOnly();
      if (refused) return refused;
      const target = await connectionToTest(deps.kvs, payload);
      if (!target.ok) return target.failure;
      const egress = egressProblem(deps.canFetchFrom, target.backendUrl);
      if (egress) return egress;
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
  // The saved key goes only to the saved address: testing another address needs the key typed again.
  if (formUrl !== null && formKey === null && saved.ok && !sameUrl(formUrl, saved.backendUrl)) return { ok: false, failure: keyRequired() };
  const savedKey = saved.ok ? saved.apiKey : null;
  // Validated like a save (project key aside), so a test never sends the key over plain http.
  const checked = validateSettingsInput({ backendUrl: formUrl ?? (saved.ok ? saved.backendUrl : ''), apiKey: formKey ?? '', jiraProjectKey: 'XX' }, savedKey !== null);
  if (!checked.ok) return { ok: false, failure: { ok: false, code: 'invalid', message: checked.problems.map((x) => x.message).join(' '), problems: checked.problems } };
  return { ok: true, backendUrl: checked.value.backendUrl, apiKey: checked.value.apiKey ?? savedKey! };
}

function keyRequired(): Failure {
  return {
    ok: false,
    code: 'key_required',
    message: 'The backend URL changed: enter the API key again. The saved key is only ever sent to the saved address.',
    problems: [{ field: 'apiKey', message: 'Enter the API key for the new backend URL.' }],
  };
}

function sameUrl(a: string, b: string): boolean {
  const norm = (x: string) => x.trim().replace(/\/+$/, '').toLowerCase();
  return norm(a) === norm(b);
}

/** The host must be in the deployed manifest's egress list, or Forge refuses every call to it. */
function egressProblem(canFetchFrom: (url: string) => boolean, backendUrl: string): Failure | null {
  if (canFetchFrom(backendUrl)) return null;
  const host = new URL(backendUrl).hostname;
  return {
    ok: false,
    code: 'egress_not_allowed',
    message: `This deployment of the app may not connect to ${host}: the host is not in its manifest (permissions.external.fetch.backend). Whoever deploys the app runs \`npm run forge:configure -- --backend ${new URL(backendUrl).origin}\` and \`forge deploy\` again, then a Confluence admin accepts the updated permissions (see docs/forge.md).`,
    problems: [{ field: 'backendUrl', message: `${host} is not in the app's manifest; the app has to be configured and deployed for this host.` }],
  };
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
