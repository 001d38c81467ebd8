import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseBreakdown, flattenBreakdown, type Breakdown } from '../../../core/breakdown/schema.ts';
import { addItem, addStoryFromBlock, citationsByBlock, citeBlock, deleteItem, fieldErrorsByItem, locate, moveItem, possibleParents, reparentItem, unciteBlock, updateItem } from './breakdownEdit.ts';

function sample(): Breakdown {
  return parseBreakdown({
    generator: { kind: 'drafter' },
    epics: [
      {
        id: 'E1',
        title: 'Checkout',
        stories: [
          { id: 'S1.1', title: 'Saved cards', subtasks: [{ id: 'T1.1.1', title: 'Card tile' }, { id: 'T1.1.2', title: 'Default card' }] },
          { id: 'S1.2', title: 'Wallets', dependsOn: ['S1.1', 'T1.1.2'] },
        ],
      },
      { id: 'E2', title: 'Performance', stories: [{ id: 'S2.1', title: 'Fast page', dependsOn: ['T1.1.1'] }] },
    ],
  });
}

const ids = (b: Breakdown) => flattenBreakdown(b).map((x) => `${x.parentId ?? '-'}>${x.item.id}`);

describe('breakdown edits in the review screen', () => {
  test('an edit changes only the chosen item and leaves the original breakdown untouched', () => {
    const b = sample();
    const next = updateItem(b, 'S1.2', { title: 'Apple Pay and Google Pay', labels: ['wallets'] });
    assert.equal(locate(next, 'S1.2')?.item.title, 'Apple Pay and Google Pay');
    assert.deepEqual(locate(next, 'S1.2')?.item.labels, ['wallets']);
    assert.equal(locate(b, 'S1.2')?.item.title, 'Wallets', 'the input is not mutated');
  });

  test('added items take the next free id under their parent and are marked as written by a person', () => {
    const b = sample();
    const story = addItem(b, 'story', 'E1');
    assert.equal(story.id, 'S1.3');
    const sub = addItem(story.breakdown, 'subtask', 'S1.3');
    assert.equal(sub.id, 'T1.3.1');
    const epic = addItem(sub.breakdown, 'epic', null);
    assert.equal(epic.id, 'E3');
    assert.equal(locate(epic.breakdown, 'T1.3.1')?.item.origin, 'human');
    assert.doesNotThrow(() => parseBreakdown(updateItem(epic.breakdown, 'E3', { title: 'Reporting' })), 'the result still satisfies the contract');
  });

  test('deleting a story removes its sub-tasks and every dependency on them', () => {
    const next = deleteItem(sample(), 'S1.1');
    assert.deepEqual(ids(next), ['->E1', '->E2', 'E1>S1.2', 'E2>S2.1']);
    assert.deepEqual(locate(next, 'S1.2')?.item.dependsOn, []);
    assert.deepEqual(locate(next, 'S2.1')?.item.dependsOn, []);
  });

  test('moving up and down stays within the siblings and stops at the ends', () => {
    const b = sample();
    const down = moveItem(b, 'S1.1', 1);
    assert.deepEqual(down.epics[0]!.stories.map((s) => s.id), ['S1.2', 'S1.1']);
    assert.deepEqual(moveItem(down, 'S1.1', 1).epics[0]!.stories.map((s) => s.id), ['S1.2', 'S1.1'], 'already last');
    assert.deepEqual(moveItem(b, 'T1.1.2', -1).epics[0]!.stories[0]!.subtasks.map((t) => t.id), ['T1.1.2', 'T1.1.1']);
  });

  test('a story moved to another epic is renumbered with its sub-tasks, and dependencies follow it', () => {
    const b = sample();
    assert.deepEqual(possibleParents(b, 'S1.1').map((p) => p.id), ['E1', 'E2']);
    const { breakdown, id } = reparentItem(b, 'S1.1', 'E2');
    assert.equal(id, 'S2.2');
    assert.deepEqual(ids(breakdown), ['->E1', '->E2', 'E1>S1.2', 'E2>S2.1', 'E2>S2.2', 'S2.2>T2.2.1', 'S2.2>T2.2.2']);
    assert.deepEqual(locate(breakdown, 'S1.2')?.item.dependsOn, ['S2.2', 'T2.2.2']);
    assert.deepEqual(locate(breakdown, 'S2.1')?.item.dependsOn, ['T2.2.1']);
    assert.equal(locate(breakdown, 'T2.2.1')?.item.title, 'Card tile');
  });

  test('a sub-task moved to another story takes that story’s numbering', () => {
    const { breakdown, id } = reparentItem(sample(), 'T1.1.2', 'S2.1');
    assert.equal(id, 'T2.1.1');
    assert.equal(locate(breakdown, 'T2.1.1')?.parentId, 'S2.1');
    assert.deepEqual(locate(breakdown, 'S1.2')?.item.dependsOn, ['S1.1', 'T2.1.1']);
  });

  test('field paths from a refused save point at the item and field to mark', () => {
    const m = fieldErrorsByItem(sample(), ['breakdown.epics.0.stories.1.title', 'breakdown.epics.0.stories.0.subtasks.1.labels.0', 'breakdown.epics.1.title', 'breakdown.generator']);
    assert.deepEqual([...m.get('S1.2')!], ['title']);
    assert.deepEqual([...m.get('T1.1.2')!], ['labels']);
    assert.deepEqual([...m.get('E2')!], ['title']);
    assert.deepEqual([...m.get('(breakdown)')!], ['generator']);
  });
});

describe('citing page blocks from the review workspace', () => {
  test('an edit copies only the path to the item: every other item keeps its identity (one tree row re-renders)', () => {
    const b = sample();
    const next = updateItem(b, 'T1.1.2', { title: 'Default card first' });
    assert.notEqual(next, b);
    assert.equal(next.epics[1], b.epics[1], 'another epic is the same object');
    assert.equal(next.epics[0]!.stories[1], b.epics[0]!.stories[1], 'a sibling story is the same object');
    assert.equal(next.epics[0]!.stories[0]!.subtasks[0], b.epics[0]!.stories[0]!.subtasks[0], 'a sibling sub-task is the same object');
    assert.notEqual(next.epics[0]!.stories[0]!.subtasks[1], b.epics[0]!.stories[0]!.subtasks[1]);
    assert.equal(locate(b, 'T1.1.2')?.item.title, 'Default card', 'the input is untouched');
    assert.equal(updateItem(b, 'S9.9', { title: 'x' }), b, 'an unknown id changes nothing');
  });

  test('cite adds a block once, uncite removes it, and citations list the items per block', () => {
    const b = sample();
    const cited = citeBlock(citeBlock(b, 'S1.2', 'b-1'), 'S1.2', 'b-1');
    assert.deepEqual(locate(cited, 'S1.2')?.item.sources, ['b-1']);
    const both = citeBlock(cited, 'E2', 'b-1');
    assert.deepEqual([...(citationsByBlock(both).get('b-1') ?? [])].sort(), ['E2', 'S1.2']);
    const un = unciteBlock(both, 'S1.2', 'b-1');
    assert.deepEqual(locate(un, 'S1.2')?.item.sources, []);
    assert.deepEqual(citationsByBlock(un).get('b-1'), ['E2']);
    assert.equal(unciteBlock(un, 'S1.2', 'b-1'), un, 'unciting what is not cited changes nothing');
  });

  test('a story from an uncovered block is titled with its text, cites it and goes under the chosen epic (or a new one)', () => {
    const b = sample();
    const long = `FR-9: ${'The shop must keep the receipt. '.repeat(10)}`;
    const r = addStoryFromBlock(b, 'E2', { id: 'b-9', text: long });
    assert.equal(r.id, 'S2.2');
    const story = locate(r.breakdown, 'S2.2')!.item;
    assert.deepEqual(story.sources, ['b-9']);
    assert.equal(story.origin, 'human');
    assert.ok(story.title.startsWith('FR-9: The shop must keep the receipt.') && story.title.length <= 200 && story.title.endsWith('…'), story.title);
    const empty = parseBreakdown({ generator: { kind: 'drafter' }, epics: [] });
    const r2 = addStoryFromBlock(empty, null, { id: 'b-1', text: 'REQ-1: Customers must earn points.' });
    assert.equal(r2.id, 'S1.1');
    assert.equal(r2.breakdown.epics[0]!.title, 'Requirements added in review');
  });
});
