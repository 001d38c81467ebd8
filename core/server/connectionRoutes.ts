// POST /api/settings/test-connection: asks Confluence and Jira, now and uncached, whether the saved
// site, service account and token work, so the Settings page can say what is wrong in words before
// a job fails on it. Each answer is the health check's { ok, message, code? }.

import express, { type Router } from 'express';
import type { ServiceCheck } from './health.ts';

export interface ConnectionTestResponse {
  confluence: ServiceCheck;
  jira: ServiceCheck;
  checkedAt: string;
}

export interface ConnectionChecks {
  checkJira: () => Promise<ServiceCheck>;
  checkConfluence: () => Promise<ServiceCheck>;
}

const safely = (check: () => Promise<ServiceCheck>): Promise<ServiceCheck> =>
  check().catch((err: unknown): ServiceCheck => ({ ok: false, message: `The check itself failed: ${String((err as Error)?.message ?? err)}` }));

export function connectionRoutes(checks: ConnectionChecks): Router {
  const r = express.Router();
  r.post('/settings/test-connection', async (_req, res) => {
    const [confluence, jira] = await Promise.all([safely(checks.checkConfluence), safely(checks.checkJira)]);
    const body: ConnectionTestResponse = { confluence, jira, checkedAt: new Date().toISOString() };
    res.json(body);
  });
  return r;
}
