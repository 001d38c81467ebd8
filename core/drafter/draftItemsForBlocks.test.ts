import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import { checkBreakdown } from '../breakdown/checkBreakdown.ts';
import { buildSpec, h, p, task } from '../breakdown/fixtures/specDocument.ts';
import { GAP_NOTE, draftItemsForBlocks } from './draftItemsForBlocks.ts';

const doc = buildSpec('Shop', [
  h(1, 'Checkout'),
  p('FR-1 The basket must show the total.'), // blk-0, covered by the model
  p('FR-2 The basket must show taxes separately.'), // blk-1, uncovered
  h(1, 'Delivery'),
  p('FR-3 Customers should pick a delivery slot.'), // blk-2, uncovered
  task('Agree slot length with logistics'), // blk-3, uncovered
]);

const modelBreakdown = () =>
  parseBreakdown({
    title: 'Shop',
    generator: { kind: 'model', model: 'qwen2.5-7b.gguf' },
    epics: [
      {
        id: 'E1',
        title: 'Checkout',
        stories: [{ id: 'S1.1', title: 'Show the basket total', estimate: 2, acceptanceCriteria: ['Total shown'], sources: ['blk-0'] }],
      },
    ],
  });

describe('draftItemsForBlocks', () => {
  test('uncovered requirements get drafted stories in the epic of their section, or a new epic, with fresh ids', () => {
    const into = modelBreakdown();
    const before = structuredClone(into);
    const out = draftItemsForBlocks(doc, ['blk-1', 'blk-2', 'blk-3'], into);
    assert.deepEqual(into, before, 'the input breakdown is not changed');

    assert.deepEqual(out.epics.map((e) => [e.id, e.title]), [['E1', 'Checkout'], ['E2', 'Delivery']]);
    const added = out.epics[0]!.stories[1]!;
    assert.equal(added.id, 'S1.2');
    assert.equal(added.origin, 'drafter');
    assert.equal(added.notes, GAP_NOTE);
    assert.deepEqual(added.sources, ['blk-1']);
    const delivery = out.epics[1]!.stories[0]!;
    assert.equal(delivery.id, 'S2.1');
    assert.deepEqual(delivery.subtasks.map((t) => [t.id, t.sources]), [['T2.1.1', ['blk-3']]]);
    assert.equal(out.generator.kind, 'mixed');
    assert.equal(out.generator.model, 'qwen2.5-7b.gguf');

    const report = checkBreakdown(doc, parseBreakdown(out));
    assert.equal(report.coverage.ratio, 1);
    assert.equal(report.ok, true);
    assert.deepEqual(
      flattenBreakdown(out).filter((f) => f.item.origin === 'drafter' && f.level !== 'epic').flatMap((f) => f.item.sources).sort(),
      ['blk-1', 'blk-2', 'blk-3'],
      'exactly the given blocks are drafted',
    );
  });

  test('blocks already cited and unknown ids are skipped', () => {
    const out = draftItemsForBlocks(doc, ['blk-0', 'blk-999'], modelBreakdown());
    assert.deepEqual(out, modelBreakdown());
  });

  test('a full epic gets a next part instead of exceeding the stories-per-epic limit', () => {
    const into = modelBreakdown();
    const s = into.epics[0]!.stories[0]!;
    into.epics[0]!.stories = Array.from({ length: LIMITS.storiesPerEpicMax }, (_, i) => ({ ...s, id: `S1.${i + 1}`, title: `Story ${i + 1}` }));
    const out = draftItemsForBlocks(doc, ['blk-1'], into);
    assert.equal(out.epics[0]!.stories.length, LIMITS.storiesPerEpicMax);
    assert.deepEqual([out.epics[1]!.id, out.epics[1]!.title, out.epics[1]!.stories[0]!.id], ['E2', 'Checkout (part 2)', 'S2.1']);
  });
});
