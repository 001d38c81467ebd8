// The job state machine: the states a job can be in and the only transitions allowed between them.
// Every state change in the product goes through canTransition, so an impossible jump (approving a
// job that is still generating, creating twice) is refused instead of silently happening.

export const JOB_STATES = [
  'queued',
  'fetching',
  'generating',
  'awaiting_review',
  'approved',
  'creating',
  'done',
  'rejected',
  'failed',
  'cancelled',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves on its own; only an explicit retry moves failed/cancelled jobs on. */
export const FINISHED_STATES: readonly JobState[] = ['done', 'rejected', 'failed', 'cancelled'];
export const OPEN_STATES: readonly JobState[] = JOB_STATES.filter((s) => !FINISHED_STATES.includes(s));

const ALLOWED = {
  queued: ['fetching', 'failed', 'cancelled'],
  // fetching/generating → queued: a restart re-runs the step from the persisted state.
  fetching: ['generating', 'queued', 'failed', 'cancelled'],
  generating: ['awaiting_review', 'queued', 'failed', 'cancelled'],
  awaiting_review: ['approved', 'rejected', 'cancelled'],
  approved: ['creating', 'cancelled'],
  // creating → approved: a restart resumes creation; the ledger prevents duplicates.
  creating: ['done', 'approved', 'failed'],
  done: [],
  rejected: [],
  // A failed creation goes back to approved (the reviewed breakdown stays); earlier failures re-run.
  failed: ['queued', 'approved'],
  cancelled: ['queued'],
} as const satisfies Record<JobState, readonly JobState[]>;

export function canTransition(from: JobState, to: JobState): boolean {
  return (ALLOWED[from] as readonly JobState[]).includes(to);
}

export function allowedTransitions(from: JobState): readonly JobState[] {
  return ALLOWED[from];
}

export const isJobState = (s: string): s is JobState => (JOB_STATES as readonly string[]).includes(s);

/** A refused transition, as a value the API turns into 409 with this message. */
export class JobTransitionError extends Error {
  readonly code = 'invalid_transition';
  constructor(
    readonly jobId: string,
    readonly from: JobState,
    readonly to: JobState,
  ) {
    super(`Job ${jobId} is ${from.replace('_', ' ')}; it cannot move to ${to.replace('_', ' ')}`);
    this.name = 'JobTransitionError';
  }
}
