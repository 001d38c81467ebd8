// The calls the app's UI makes to its resolvers, typed once: the resolvers implement these with
// @forge/resolver's makeResolver and the UI calls them with @forge/bridge's makeInvoke. Every call
// answers with `ok` so the UI shows a message instead of catching exceptions.

import type { MacroJobView } from '#src/macro/macroJobView';
import type { FieldProblem, SettingsInput, SettingsView } from '#src/settings/settingsStore';

export interface Failure {
  ok: false;
  code: string;
  /** Written for the person looking at the macro or the admin page. */
  message: string;
  problems?: FieldProblem[];
}

export interface HealthSummary {
  status: 'ok' | 'degraded';
  version: string;
  model: string;
  jira: { ok: boolean; message: string };
  confluence: { ok: boolean; message: string };
}

/** Resolver calls of the "Generate Jira breakdown" macro. */
export type MacroDefinitions = {
  /** Asks the backend for a breakdown of the page the macro is on (its current version, read from Confluence); answers as soon as the job exists. */
  requestBreakdown: (payload: Record<string, never>) => { ok: true; jobId: string; created: boolean; state: MacroJobView['state'] } | Failure;
  /**
   * Asks the backend to update the Jira issues of the page from its current version (read from
   * Confluence): a new job whose updates a reviewer approves in Spec2Tickets. Answers at once.
   */
  requestResync: (payload: Record<string, never>) => { ok: true; jobId: string; created: boolean; state: MacroJobView['state']; from: number | null; to: number } | Failure;
  /** The job's status; without a jobId, the job this macro requested last (null when none). */
  getJobStatus: (payload: { jobId?: string }) => { ok: true; job: MacroJobView | null; jiraProjectKey: string | null } | Failure;
};

/** Resolver calls of the admin settings page. */
export type SettingsDefinitions = {
  getSettings: () => { ok: true; settings: SettingsView } | Failure;
  saveSettings: (payload: SettingsInput) => { ok: true; settings: SettingsView } | Failure;
  /** Checks the backend answers with this key: the saved settings, or the form's values when given. */
  testConnection: (payload: { backendUrl?: string; apiKey?: string }) => { ok: true; message: string; health: HealthSummary } | Failure;
};
