// What the backend does on its own, without a request waiting on it (today: the retention sweep),
// kept as state rather than only as log lines: when each task last ran, last succeeded, and why it
// last failed. The health answer and the admin's queue read it, so a sweep that keeps failing is
// seen by whoever watches the backend instead of being buried in a log file.

export type BackgroundTaskName = 'retention';

export interface BackgroundTaskState {
  /** `never` until the first run ends. */
  state: 'never' | 'ok' | 'failed';
  lastRunAt: string | null;
  lastOkAt: string | null;
  /** The last failure while it is the newest outcome; null once a later run succeeds. */
  failure: { message: string; at: string; consecutive: number } | null;
}

export type BackgroundReport = Record<BackgroundTaskName, BackgroundTaskState>;

const LABELS: Record<BackgroundTaskName, string> = { retention: 'Retention sweep' };

export class BackgroundTasks {
  private readonly states = new Map<BackgroundTaskName, BackgroundTaskState>();
  private readonly listeners = new Set<(report: BackgroundReport) => void>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  succeeded(name: BackgroundTaskName): void {
    const at = this.now().toISOString();
    this.set(name, { state: 'ok', lastRunAt: at, lastOkAt: at, failure: null });
  }

  failed(name: BackgroundTaskName, error: unknown): void {
    const at = this.now().toISOString();
    const before = this.get(name);
    const message = `${LABELS[name]} failed: ${(error as Error)?.message ?? String(error)}`;
    this.set(name, { state: 'failed', lastRunAt: at, lastOkAt: before.lastOkAt, failure: { message, at, consecutive: (before.failure?.consecutive ?? 0) + 1 } });
  }

  get(name: BackgroundTaskName): BackgroundTaskState {
    return this.states.get(name) ?? { state: 'never', lastRunAt: null, lastOkAt: null, failure: null };
  }

  report(): BackgroundReport {
    return { retention: this.get('retention') };
  }

  onChange(listener: (report: BackgroundReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(name: BackgroundTaskName, state: BackgroundTaskState): void {
    const was = this.states.get(name);
    this.states.set(name, state);
    // Listeners hear about changes of outcome, not about every successful hourly run.
    if (was?.state === state.state && state.state === 'ok') return;
    const report = this.report();
    for (const l of this.listeners) l(report);
  }
}

/** What the public listener may say of background tasks: whether they work, not their error text. */
export interface PublicTaskView {
  ok: boolean;
  lastRunAt: string | null;
}
export interface PublicBackgroundView {
  retention: PublicTaskView;
}

export function publicBackgroundView(report: BackgroundReport): PublicBackgroundView {
  return { retention: { ok: report.retention.state !== 'failed', lastRunAt: report.retention.lastRunAt } };
}
