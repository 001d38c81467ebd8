// The health answer for Forge's "Test connection" and for monitoring: backend version, model
// status and whether Jira and Confluence accept the service account. The Atlassian checks are
// cached for a few seconds so polling the endpoint does not hammer the site.

import type { ModelStatus } from '../model/types.ts';

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
  checkedAt: string;
}

export interface HealthOptions {
  version: string;
  modelStatus: () => ModelStatus;
  checkJira: () => Promise<ServiceCheck>;
  checkConfluence: () => Promise<ServiceCheck>;
  cacheMs?: number;
  now?: () => Date;
}

export function createHealthCheck(o: HealthOptions): () => Promise<HealthReport> {
  const cacheMs = o.cacheMs ?? 5000;
  const now = o.now ?? (() => new Date());
  let cached: { at: number; value: Promise<Omit<HealthReport, 'model' | 'status' | 'version'>> } | undefined;
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
    const ok = services.jira.ok && services.confluence.ok && model.state !== 'error';
    return { status: ok ? 'ok' : 'degraded', version: o.version, model, ...services };
  };
}
