import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import { applySkips, childCount } from './skipItems.ts';

const b = parseBreakdown({
  generator: { kind: 'drafter' },
  epics: [{ id: 'E1', title: 'Pay', stories: [{ id: 'S1.1', title: 'Card', subtasks: [{ id: 'T1.1.1', title: 'SDK' }] }, { id: 'S1.2', title: 'Refund', dependsOn: ['S1.1'] }] }],
});

test('skipped items are left out of creation and dependencies on them are dropped', () => {
  const { breakdown: out, existing } = applySkips(b, new Map([['T1.1.1', 'PAY-3'], ['S1.1', 'PAY-2']]));
  assert.deepEqual(flattenBreakdown(out).map((x) => x.item.id), ['E1', 'S1.2']);
  assert.deepEqual(out.epics[0]!.stories[0]!.dependsOn, []);
  assert.deepEqual([...existing], []);
  assert.equal(flattenBreakdown(b).length, 4, 'the reviewed breakdown itself is unchanged');
});

test('a skipped item that keeps children stands for the existing issue: it stays, its children and the dependencies on it too', () => {
  const { breakdown: out, existing } = applySkips(b, new Map([['E1', 'PAY-1'], ['S1.1', 'PAY-2']]));
  assert.deepEqual(flattenBreakdown(out).map((x) => x.item.id), ['E1', 'S1.1', 'S1.2', 'T1.1.1']);
  assert.deepEqual([...existing].sort(), [['E1', 'PAY-1'], ['S1.1', 'PAY-2']]);
  assert.deepEqual(out.epics[0]!.stories[1]!.dependsOn, ['S1.1'], 'S1.2 still depends on the existing issue for S1.1');
  const all = applySkips(b, new Map([['E1', 'PAY-1'], ['S1.1', 'PAY-2'], ['S1.2', 'PAY-4'], ['T1.1.1', 'PAY-3']]));
  assert.deepEqual(flattenBreakdown(all.breakdown).map((x) => x.item.id), [], 'with every child skipped, the parents are left out too');
  assert.deepEqual([...all.existing], []);
});

test('child counts tell which items can be skipped without orphaning others', () => {
  assert.equal(childCount(b, 'E1'), 2);
  assert.equal(childCount(b, 'S1.1'), 1);
  assert.equal(childCount(b, 'T1.1.1'), 0);
  assert.equal(childCount(b, 'S9.9'), undefined);
});
