// When the macro asks for the job's status again, and when it stops asking. A poll that fails
// (the backend is down, Forge's 25 s limit, the network) never ends the polling and never leaves a
// spinner: the macro shows what went wrong and tries again later, backing off from 3 s to a cap.
// While a person reviews (which can take days) it asks rarely; after a long quiet time it stops and
// the macro offers "Refresh" instead of polling a tab nobody looks at.

export const POLLING = {
  /** First delay after a change or a failure, and the working-state rhythm. */
  baseMs: 3_000,
  /** Cap while the machine works (or while polls fail). */
  workingCapMs: 60_000,
  /** Cap while the draft waits for a reviewer. */
  reviewCapMs: 5 * 60_000,
  /** Stop after this long without any change while the machine works (or without a successful poll). */
  workingStopMs: 20 * 60_000,
  /** Stop after this long without any change while a reviewer has the draft. */
  reviewStopMs: 2 * 60 * 60_000,
  /** Growth per poll that brought nothing new. */
  factor: 1.5,
} as const;

export interface PollState {
  /** Polls in a row that brought nothing new. */
  unchanged: number;
  /** Polls in a row that failed. */
  failures: number;
  /** When the job last changed (or polling began), ms since epoch. */
  lastChangeAt: number;
  /** When a poll last succeeded (or polling began). */
  lastSuccessAt: number;
  /** What the last successful poll saw, to tell a change from none. */
  lastSeen: string | null;
}

export type PollOutcome =
  | { ok: true; /** state + updatedAt of the job, or null when there is none */ fingerprint: string | null; /** the job's own hint; null once it cannot change */ pollAfterMs: number | null; awaitingReview: boolean }
  | { ok: false };

export type PollDecision = { next: 'poll'; delayMs: number; state: PollState } | { next: 'stop'; reason: 'finished' | 'quiet' | 'failing'; state: PollState };

export function startPolling(now: number): PollState {
  return { unchanged: 0, failures: 0, lastChangeAt: now, lastSuccessAt: now, lastSeen: null };
}

/** Decides, after a poll, whether and when to poll again. */
export function afterPoll(state: PollState, outcome: PollOutcome, now: number): PollDecision {
  if (!outcome.ok) {
    const failures = state.failures + 1;
    const next = { ...state, failures };
    if (now - state.lastSuccessAt >= POLLING.workingStopMs) return { next: 'stop', reason: 'failing', state: next };
    return { next: 'poll', delayMs: Math.min(POLLING.baseMs * 2 ** (failures - 1), POLLING.workingCapMs), state: next };
  }
  if (outcome.pollAfterMs === null) return { next: 'stop', reason: 'finished', state: { ...state, failures: 0, lastSuccessAt: now, lastSeen: outcome.fingerprint } };
  const changed = outcome.fingerprint !== state.lastSeen;
  const next: PollState = changed
    ? { unchanged: 0, failures: 0, lastChangeAt: now, lastSuccessAt: now, lastSeen: outcome.fingerprint }
    : { ...state, unchanged: state.unchanged + 1, failures: 0, lastSuccessAt: now };
  const stopAfter = outcome.awaitingReview ? POLLING.reviewStopMs : POLLING.workingStopMs;
  if (now - next.lastChangeAt >= stopAfter) return { next: 'stop', reason: 'quiet', state: next };
  const cap = outcome.awaitingReview ? POLLING.reviewCapMs : POLLING.workingCapMs;
  const base = Math.max(outcome.pollAfterMs, POLLING.baseMs);
  return { next: 'poll', delayMs: Math.round(Math.min(base * POLLING.factor ** next.unchanged, cap)), state: next };
}
