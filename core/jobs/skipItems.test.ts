import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import { childCount, withoutSkipped } from './skipItems.ts';

const b = parseBreakdown({
  generator: { kind: 'drafter' },
  epics: [{ id: 'E1', title: 'Pay', stories: [{ id: 'S1.1', title: 'Card', subtasks: [{ id: 'T1.1.1', title: 'SDK' }] }, { id: 'S1.2', title: 'Refund', dependsOn: ['S1.1'] }] }],
});

test('skipped items are left out of creation and dependencies on them are dropped', () => {
  const out = withoutSkipped(b, new Set(['T1.1.1', 'S1.1']));
  assert.deepEqual(flattenBreakdown(out).map((x) => x.item.id), ['E1', 'S1.2']);
  assert.deepEqual(out.epics[0]!.stories[0]!.dependsOn, []);
  assert.equal(flattenBreakdown(b).length, 4, 'the reviewed breakdown itself is unchanged');
});

test('child counts tell which items can be skipped without orphaning others', () => {
  assert.equal(childCount(b, 'E1'), 2);
  assert.equal(childCount(b, 'S1.1'), 1);
  assert.equal(childCount(b, 'T1.1.1'), 0);
  assert.equal(childCount(b, 'S9.9'), undefined);
});
