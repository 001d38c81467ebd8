// The health answer for Forge's "Test connection" and for monitoring: backend version, model
// status and whether Jira and Confluence accept the service account. The Atlassian checks are
// cached for a few seconds so polling the endpoint does not hammer the site.

import type { ModelStatus } from '../model/types.ts';
import type { BackgroundReport } from './backgroundTasks.ts';

export interface ServiceCheck {
  ok: boolean;
  message: string;
  code?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  version: string;
  model: ModelStatus;
  jira: ServiceCheck;
  confluence: ServiceCheck;
  /** The backend's own periodic work (retention); a task whose last run failed makes the status degraded. */
  background: BackgroundReport;
  checkedAt: string;
}

export interface HealthOptions {
  version: string;
  modelStatus: () => ModelStatus;
  checkJira: () => Promise<ServiceCheck>;
  checkConfluence: () => Promise<ServiceCheck>;
  background: () => BackgroundReport;
  cacheMs?: number;
  now?: () => Date;
}

export function createHealthCheck(o: HealthOptions): () => Promise<HealthReport> {
  const cacheMs = o.cacheMs ?? 5000;
  const now = o.now ?? (() => new Date());
  let cached: { at: number; value: Promise<Omit<HealthReport, 'model' | 'status' | 'version' | 'background'>> } | undefined;
  const safe = (p: () => Promise<ServiceCheck>) => p().catch((err: unknown): ServiceCheck => ({ ok: false, message: String((err as Error)?.message ?? err) }));
  return async () => {
    const t = now().getTime();
    if (!cached || t - cached.at > cacheMs) {
      cached = {
        at: t,
        value: Promise.all([safe(o.checkJira), safe(o.checkConfluence)]).then(([jira, confluence]) => ({ jira, confluence, checkedAt: new Date(t).toISOString() })),
      };
    }
    const services = await cached.value;
    const model = o.modelStatus();
    const background = o.background();
    const ok = services.jira.ok && services.confluence.ok && model.state !== 'error' && Object.values(background).every((b) => b.state !== 'failed');
    return { status: ok ? 'ok' : 'degraded', version: o.version, model, ...services, background };
  };
}
