import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOB_STATES, FINISHED_STATES, canTransition, allowedTransitions } from './states.ts';

test('the happy path queued → done is allowed step by step', () => {
  const path = ['queued', 'fetching', 'generating', 'awaiting_review', 'approved', 'creating', 'done'] as const;
  for (let i = 1; i < path.length; i++) assert.ok(canTransition(path[i - 1]!, path[i]!), `${path[i - 1]} → ${path[i]}`);
});

test('no shortcut to approval or creation: only a reviewed job can be approved, only an approved one created', () => {
  for (const s of JOB_STATES) {
    assert.equal(canTransition(s, 'approved'), s === 'awaiting_review' || s === 'failed' || s === 'creating', `${s} → approved`);
    assert.equal(canTransition(s, 'creating'), s === 'approved', `${s} → creating`);
  }
});

test('done and rejected are final; failed and cancelled leave only by retry', () => {
  assert.deepEqual(allowedTransitions('done'), []);
  assert.deepEqual(allowedTransitions('rejected'), []);
  assert.deepEqual([...allowedTransitions('failed')].sort(), ['approved', 'queued']);
  assert.deepEqual(allowedTransitions('cancelled'), ['queued']);
  assert.ok(FINISHED_STATES.every((s) => !canTransition(s, 'done')));
});

test('creation cannot be cancelled half-way (issues would be left without a record)', () => {
  assert.equal(canTransition('creating', 'cancelled'), false);
});
