import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBreakdown } from '../breakdown/schema.ts';
import { diffBreakdowns } from './breakdownDiff.ts';

test('the review diff lists added, removed and changed items with the fields that changed', () => {
  const generated = parseBreakdown({
    generator: { kind: 'drafter' },
    epics: [{ id: 'E1', title: 'Payments', stories: [{ id: 'S1.1', title: 'Pay by card', estimate: 3 }, { id: 'S1.2', title: 'Refunds' }] }],
  });
  const latest = parseBreakdown({
    generator: { kind: 'drafter' },
    epics: [
      {
        id: 'E1',
        title: 'Payments',
        stories: [{ id: 'S1.1', title: 'Pay by card or wallet', estimate: 5, subtasks: [{ id: 'T1.1.1', title: 'Wallet SDK', origin: 'human' }] }],
      },
    ],
  });
  const d = diffBreakdowns(generated, latest);
  assert.deepEqual(d.added, [{ itemId: 'T1.1.1', level: 'subtask', title: 'Wallet SDK' }]);
  assert.deepEqual(d.removed, [{ itemId: 'S1.2', level: 'story', title: 'Refunds' }]);
  assert.deepEqual(d.changed, [{ itemId: 'S1.1', level: 'story', fields: ['title', 'estimate'] }]);
  assert.equal(d.unchanged, 1);
  assert.deepEqual(diffBreakdowns(generated, generated), { added: [], removed: [], changed: [], unchanged: 3 });
});
