// The macro's polling rhythm (forge/src/macro/polling.ts): failures back off and keep polling,
// a recovery resets the rhythm, review waits are polled rarely, quiet or failing polling stops
// (the macro then shows Refresh), and a finished job stops at once.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { afterPoll, POLLING, startPolling, type PollDecision, type PollState } from '../../forge/src/macro/polling.ts';

const working = (fingerprint: string) => ({ ok: true as const, fingerprint, pollAfterMs: 3000, awaitingReview: false });
const review = (fingerprint: string) => ({ ok: true as const, fingerprint, pollAfterMs: 10_000, awaitingReview: true });

function polls(d: PollDecision): { delayMs: number; state: PollState } {
  assert.equal(d.next, 'poll', JSON.stringify(d));
  return d as { next: 'poll'; delayMs: number; state: PollState };
}

describe('macro polling', () => {
  test('failed polls keep polling with a doubling delay capped at 60 s, and a success resets it', () => {
    let t = 0;
    let s = polls(afterPoll(startPolling(t), working('a'), t)).state;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = polls(afterPoll(s, { ok: false }, (t += 1000)));
      delays.push(d.delayMs);
      s = d.state;
    }
    assert.deepEqual(delays, [3000, 6000, 12_000, 24_000, 48_000, 60_000, 60_000, 60_000]);
    const back = polls(afterPoll(s, working('b'), (t += 1000)));
    assert.equal(back.delayMs, 3000, 'the job changed: quick again');
    assert.equal(back.state.failures, 0);
  });

  test('nothing new stretches the delay; while a reviewer has the draft it may grow to 5 minutes', () => {
    let t = 0;
    let s = startPolling(t);
    let last = 0;
    for (let i = 0; i < 20; i++) {
      const d = polls(afterPoll(s, working('same'), (t += 1000)));
      assert.ok(d.delayMs >= last && d.delayMs <= POLLING.workingCapMs);
      last = d.delayMs;
      s = d.state;
    }
    assert.equal(last, POLLING.workingCapMs);
    s = startPolling((t = 0));
    for (let i = 0; i < 20; i++) s = polls(afterPoll(s, review('r'), (t += 1000))).state;
    assert.equal(polls(afterPoll(s, review('r'), (t += 1000))).delayMs, POLLING.reviewCapMs);
  });

  test('polling stops after a long quiet time or long failure, so the macro offers Refresh', () => {
    const s = startPolling(0);
    const first = polls(afterPoll(s, working('a'), 0)).state;
    const quiet = afterPoll(first, working('a'), POLLING.workingStopMs + 1);
    assert.deepEqual([quiet.next, quiet.next === 'stop' && quiet.reason], ['stop', 'quiet']);
    const stillReviewing = afterPoll(first, review('a'), POLLING.workingStopMs + 1);
    assert.equal(stillReviewing.next, 'poll', 'a review may take longer before polling stops');
    const failing = afterPoll(first, { ok: false }, POLLING.workingStopMs + 1);
    assert.deepEqual([failing.next, failing.next === 'stop' && failing.reason], ['stop', 'failing']);
  });

  test('a finished job stops polling at once', () => {
    const d = afterPoll(startPolling(0), { ok: true, fingerprint: 'done', pollAfterMs: null, awaitingReview: false }, 10);
    assert.deepEqual([d.next, d.next === 'stop' && d.reason], ['stop', 'finished']);
  });
});
