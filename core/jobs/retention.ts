// Retention: page content and generated breakdowns are kept for the number of days the admin chose,
// then deleted, with the item titles that errors and audit details may quote. Finished jobs are
// purged; jobs still waiting on someone (queued, in review, approved) but untouched for that long
// are cancelled with a reason saying so and purged too, so nothing waits forever holding a page.
// The job row and its audit trail stay (marked purged), so "who created what, when" remains
// answerable after the content is gone.

import type { JobError, JobStore } from '../store/types.ts';
import type { Logger } from './runner.ts';

export interface RetentionOptions {
  store: JobStore;
  /** Read on every sweep, so a change in Settings applies without a restart. */
  retentionDays: () => Promise<number>;
  now?: () => Date;
  log?: Logger;
  /** Told which jobs a sweep changed, so open review screens and Forge see it without reloading. */
  onChanged?: (jobIds: string[]) => void | Promise<void>;
}

export const EXPIRED_CODE = 'retention_expired';

/** Why a waiting job was cancelled by retention, in words for the queue and Forge. */
export function expiredReason(state: 'queued' | 'awaiting_review' | 'approved', days: number): JobError {
  const waited = { queued: 'was not started', awaiting_review: 'was not reviewed', approved: 'was approved but not created' }[state];
  return {
    code: EXPIRED_CODE,
    message: `The job ${waited} within the retention period (${days} day${days === 1 ? '' : 's'}), so its page content and breakdown were deleted. Retry it (or request it again from Confluence) to read the page afresh.`,
  };
}

/** Returns the ids of the jobs purged in this sweep (finished and expired). */
export async function sweepExpiredContent(o: RetentionOptions): Promise<string[]> {
  const now = (o.now ?? (() => new Date()))();
  const days = await o.retentionDays();
  const cutoff = new Date(now.getTime() - days * 86_400_000).toISOString();
  const expired = await o.store.expireWaitingBefore(cutoff, now.toISOString(), (state) => expiredReason(state, days));
  const purged = await o.store.purgeFinishedBefore(cutoff, now.toISOString());
  if (expired.length) o.log?.info('retention cancelled jobs left waiting past the retention period', { jobs: expired.length, retentionDays: days });
  if (purged.length) o.log?.info('retention purged page content and breakdowns', { jobs: purged.length, retentionDays: days });
  const changed = [...new Set([...expired, ...purged])];
  if (changed.length) await o.onChanged?.(changed);
  return [...expired, ...purged];
}

/** Sweeps now and then every `intervalMs` (default hourly); returns the function that stops it. */
export function startRetentionSweeper(
  o: RetentionOptions & {
    intervalMs?: number;
    /** Told how each sweep ended (null: it succeeded), so a failing sweep is state, not only a log line. */
    onOutcome?: (error: unknown | null) => void;
  },
): () => void {
  const run = () =>
    sweepExpiredContent(o).then(
      () => o.onOutcome?.(null),
      (err: unknown) => {
        o.log?.error('retention sweep failed', { error: String((err as Error)?.message ?? err) });
        o.onOutcome?.(err ?? new Error('unknown error'));
      },
    );
  void run();
  const timer = setInterval(run, o.intervalMs ?? 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
