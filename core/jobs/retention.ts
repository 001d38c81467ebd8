// Retention: page content and generated breakdowns of finished jobs are kept for the number of days
// the admin chose, then deleted. The job row and its audit trail stay (marked purged), so "who
// created what, when" remains answerable after the content is gone.

import type { JobStore } from '../store/types.ts';
import type { Logger } from './runner.ts';

export interface RetentionOptions {
  store: JobStore;
  /** Read on every sweep, so a change in Settings applies without a restart. */
  retentionDays: () => Promise<number>;
  now?: () => Date;
  log?: Logger;
}

export async function sweepExpiredContent(o: RetentionOptions): Promise<string[]> {
  const now = (o.now ?? (() => new Date()))();
  const days = await o.retentionDays();
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const purged = await o.store.purgeFinishedBefore(cutoff, now.toISOString());
  if (purged.length) o.log?.info('retention purged page content and breakdowns', { jobs: purged.length, retentionDays: days });
  return purged;
}

/** Sweeps now and then every `intervalMs` (default hourly); returns the function that stops it. */
export function startRetentionSweeper(o: RetentionOptions & { intervalMs?: number }): () => void {
  const run = () => sweepExpiredContent(o).catch((err) => o.log?.error('retention sweep failed', { error: String(err) }));
  void run();
  const timer = setInterval(run, o.intervalMs ?? 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
