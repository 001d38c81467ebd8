import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBreakdown } from './schema.ts';
import { findDuplicateItems } from './duplicates.ts';

const stories = (list: { title: string; description?: string }[]) =>
  parseBreakdown({
    generator: { kind: 'model' },
    epics: [{ id: 'E1', title: 'Reports', stories: list.map((s, i) => ({ id: `S1.${i + 1}`, ...s })) }],
  });

describe('findDuplicateItems', () => {
  test('distinct stories are not reported', () => {
    const b = stories([
      { title: 'Export the monthly report as CSV', description: 'Accountants load it into their spreadsheet.' },
      { title: 'Send overdue invoice reminders by email', description: 'Customers get a reminder after 30 days.' },
      { title: 'Export the monthly report as PDF', description: 'Managers print it for the board meeting.' },
    ]);
    assert.deepEqual(findDuplicateItems(b), []);
  });

  test('an exact duplicate (same title and description, differing only in case and punctuation) is named with its pair', () => {
    const b = stories([
      { title: 'Export the monthly report', description: 'As CSV.' },
      { title: 'export the monthly report!', description: 'as csv' },
    ]);
    const [f, ...rest] = findDuplicateItems(b);
    assert.equal(rest.length, 0);
    assert.equal(f?.code, 'duplicate-exact');
    assert.equal(f?.itemId, 'S1.2');
    assert.match(f!.message, /S1\.2 repeats S1\.1/);
  });

  test('a reworded near-duplicate is reported with the overlap that makes it one', () => {
    const b = stories([
      { title: 'The system must export the monthly sales report', description: 'Finance needs the monthly sales report exported.' },
      { title: 'Monthly sales report export', description: 'Export the monthly sales report for finance.' },
    ]);
    const [f] = findDuplicateItems(b);
    assert.equal(f?.code, 'duplicate-near');
    assert.match(f!.message, /S1\.2 looks like a near-duplicate of S1\.1: .*\d+%/);
  });

  test('the same chore under two different stories is not a duplicate', () => {
    const b = parseBreakdown({
      generator: { kind: 'model' },
      epics: [
        {
          id: 'E1',
          title: 'Reports',
          stories: [
            { id: 'S1.1', title: 'Export CSV', subtasks: [{ id: 'T1.1.1', title: 'Write tests' }] },
            { id: 'S1.2', title: 'Import CSV', subtasks: [{ id: 'T1.2.1', title: 'Write tests' }] },
          ],
        },
      ],
    });
    assert.deepEqual(findDuplicateItems(b), []);
    b.epics[0]!.stories[0]!.subtasks.push({ ...b.epics[0]!.stories[0]!.subtasks[0]!, id: 'T1.1.2' });
    assert.equal(findDuplicateItems(b)[0]?.itemId, 'T1.1.2');
  });
});

test('a family of similar stories gives one finding per later story, against its closest earlier match', () => {
  const b = parseBreakdown({
    generator: { kind: 'model' },
    epics: [
      {
        id: 'E1',
        title: 'Reports',
        stories: [
          { id: 'S1.1', title: 'Export the monthly sales report for finance' },
          { id: 'S1.2', title: 'Export the monthly sales report for finance now' },
          { id: 'S1.3', title: 'Export the monthly sales report for finance today' },
          { id: 'S1.4', title: 'Export the monthly sales report for finance today!' },
        ],
      },
    ],
  });
  const found = findDuplicateItems(b);
  assert.deepEqual(found.map((f) => [f.itemId, f.code]), [
    ['S1.2', 'duplicate-near'],
    ['S1.3', 'duplicate-near'],
    ['S1.4', 'duplicate-exact'],
  ]);
  assert.match(found[3 - 1]!.message, /repeats S1\.3/);
});
