// Settings the admin can change at run time (site, service account email, Jira project, retention,
// the issue type each breakdown level becomes, the language breakdowns are written in and how long
// one generation may take)
// and the write-only secrets behind them. Saved settings live in the job store; a value given by
// flag or environment wins over a saved one (the admin is shown where each value comes from).

import { z } from 'zod';
import { FIELD_SCHEMAS, type Config, type ConfigSource, type LoadedConfig } from './config.ts';
import type { JobStore } from '../store/types.ts';
import type { SecretName, SecretStore } from '../secrets/secretStore.ts';
import type { AtlassianSite } from '../atlassian/site.ts';

export const EDITABLE_SETTINGS = ['siteUrl', 'atlassianEmail', 'jiraProjectKey', 'allowedProjects', 'retentionDays', 'issueTypeEpic', 'issueTypeStory', 'issueTypeSubtask', 'outputLanguage', 'generationTimeoutMinutes'] as const;
export type EditableSetting = (typeof EDITABLE_SETTINGS)[number];

/** PUT /api/settings body: null clears a saved value; secrets are write-only. */
export const SettingsUpdateSchema = z
  .object({
    siteUrl: FIELD_SCHEMAS.siteUrl.nullable().optional(),
    atlassianEmail: FIELD_SCHEMAS.atlassianEmail.nullable().optional(),
    jiraProjectKey: FIELD_SCHEMAS.jiraProjectKey.nullable().optional(),
    allowedProjects: FIELD_SCHEMAS.allowedProjects.nullable().optional(),
    retentionDays: z.number().int().min(1).max(3650).nullable().optional(),
    issueTypeEpic: FIELD_SCHEMAS.issueTypeEpic.nullable().optional(),
    issueTypeStory: FIELD_SCHEMAS.issueTypeStory.nullable().optional(),
    issueTypeSubtask: FIELD_SCHEMAS.issueTypeSubtask.nullable().optional(),
    outputLanguage: FIELD_SCHEMAS.outputLanguage.nullable().optional(),
    generationTimeoutMinutes: z.number().int().min(1).max(24 * 60).nullable().optional(),
    secrets: z.object({ atlassianApiToken: z.string().trim().min(1, 'must not be empty').max(1000).optional() }).strict().optional(),
  })
  .strict();
export type SettingsUpdate = z.infer<typeof SettingsUpdateSchema>;

export interface SettingsView {
  values: Pick<Config, EditableSetting>;
  sources: Record<EditableSetting, ConfigSource>;
  /** Settings fixed by a flag or environment variable: saving them has no effect until that is removed. */
  pinned: EditableSetting[];
  secrets: Record<SecretName, { set: boolean; writable: boolean; store: SecretStore['kind'] }>;
}

export class SettingsService {
  constructor(
    private readonly loaded: LoadedConfig,
    private readonly store: JobStore,
    private readonly secrets: SecretStore,
  ) {}

  /** The effective configuration: flags/env > saved settings > config file > defaults. */
  async current(): Promise<{ config: Config; sources: Record<string, ConfigSource> }> {
    const saved = await this.store.getSettings();
    const config = { ...this.loaded.config };
    const sources: Record<string, ConfigSource> = { ...this.loaded.sources };
    for (const key of EDITABLE_SETTINGS) {
      if (this.loaded.pinned.has(key) || saved[key] === undefined) continue;
      const r = FIELD_SCHEMAS[key].safeParse(saved[key]);
      if (r.success) {
        (config as Record<string, unknown>)[key] = r.data;
        sources[key] = 'settings';
      }
    }
    return { config, sources };
  }

  async view(): Promise<SettingsView> {
    const { config, sources } = await this.current();
    const token = await this.secrets.get('atlassianApiToken');
    return {
      values: Object.fromEntries(EDITABLE_SETTINGS.map((k) => [k, config[k] ?? null])) as SettingsView['values'],
      sources: Object.fromEntries(EDITABLE_SETTINGS.map((k) => [k, sources[k] ?? 'default'])) as SettingsView['sources'],
      pinned: EDITABLE_SETTINGS.filter((k) => this.loaded.pinned.has(k)),
      secrets: {
        atlassianApiToken: { set: Boolean(token), writable: this.secrets.writable, store: this.secrets.kind },
        inferenceApiKey: { set: Boolean(await this.secrets.get('inferenceApiKey')), writable: this.secrets.writable, store: this.secrets.kind },
      },
    };
  }

  /** Saves validated settings; a secret goes to the SecretStore (which may refuse, read-only). */
  async update(update: SettingsUpdate, actor: string): Promise<SettingsView> {
    const { secrets, ...values } = update;
    if (secrets?.atlassianApiToken) await this.secrets.set('atlassianApiToken', secrets.atlassianApiToken);
    if (Object.keys(values).length) await this.store.putSettings(values);
    await this.store.audit({
      jobId: null,
      actor,
      action: 'settings.updated',
      // Names only: secret values never reach the audit log.
      details: { changed: Object.keys(values), secretsSet: Object.keys(secrets ?? {}) },
    });
    return this.view();
  }

  /** The Atlassian site with its credentials, or a message saying what is missing. */
  async site(): Promise<{ ok: true; site: AtlassianSite } | { ok: false; message: string }> {
    const { config } = await this.current();
    const token = await this.secrets.get('atlassianApiToken');
    const missing: string[] = [];
    if (!config.siteUrl) missing.push('the Atlassian site URL (SPEC2TICKETS_SITE_URL or Settings)');
    if (!config.atlassianEmail) missing.push('the service account email (SPEC2TICKETS_ATLASSIAN_EMAIL or Settings)');
    if (!token) missing.push('the Atlassian API token (Settings, or SPEC2TICKETS_ATLASSIAN_API_TOKEN in the environment or .env)');
    if (missing.length || !config.siteUrl || !config.atlassianEmail || !token) return { ok: false, message: `Spec2Tickets is not connected to Atlassian yet: set ${missing.join(', ')}` };
    return { ok: true, site: { siteUrl: config.siteUrl, email: config.atlassianEmail, apiToken: token } };
  }
}
