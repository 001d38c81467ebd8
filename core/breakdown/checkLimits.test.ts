import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBreakdown, LIMITS } from './schema.ts';
import type { Breakdown } from './schema.ts';
import { checkLimits } from './checkLimits.ts';
import { buildSpec, p } from './fixtures/specDocument.ts';

const good = (): Breakdown =>
  parseBreakdown({
    generator: { kind: 'model' },
    epics: [
      {
        id: 'E1',
        title: 'Export',
        stories: [
          { id: 'S1.1', title: 'Export CSV', estimate: 3, sources: ['blk-0'], subtasks: [{ id: 'T1.1.1', title: 'Write the writer' }] },
          { id: 'S1.2', title: 'Export PDF', estimate: 5, dependsOn: ['S1.1'], sources: ['blk-1'] },
        ],
      },
      { id: 'E2', title: 'Import', stories: [{ id: 'S2.1', title: 'Import CSV', dependsOn: ['S1.1', 'E1'] }] },
    ],
  });

const doc = buildSpec('Page', [p('The system must export CSV.'), p('The system must export PDF.')]);
const codes = (b: Breakdown): string[] => checkLimits(b, doc).map((f) => f.code);

describe('checkLimits', () => {
  test('a well-formed breakdown has no findings', () => {
    assert.deepEqual(checkLimits(good(), doc), []);
  });

  test('a dependency cycle is an error naming every item in the cycle', () => {
    const b = good();
    b.epics[0]!.stories[0]!.dependsOn = ['S2.1'];
    b.epics[1]!.stories[0]!.dependsOn = ['S1.2'];
    const cycles = checkLimits(b, doc).filter((f) => f.code === 'dependency-cycle');
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0]!.severity, 'error');
    assert.match(cycles[0]!.message, /S1\.1 → S2\.1 → S1\.2 → S1\.1/);
  });

  test('self-dependencies and dependencies on missing items are errors', () => {
    const b = good();
    b.epics[0]!.stories[0]!.dependsOn = ['S1.1', 'S9.9'];
    const found = checkLimits(b, doc);
    assert.ok(found.some((f) => f.code === 'self-dependency' && f.itemId === 'S1.1'));
    assert.ok(found.some((f) => f.code === 'missing-dependency' && /S9\.9/.test(f.message)));
  });

  test('duplicate ids and ids that do not match their parent are errors', () => {
    const b = good();
    b.epics[1]!.stories[0]!.id = 'S1.2';
    b.epics[0]!.stories[0]!.subtasks[0]!.id = 'T2.1.1';
    const found = checkLimits(b, doc);
    assert.ok(found.some((f) => f.code === 'duplicate-id' && f.itemId === 'S1.2'));
    const h = found.find((f) => f.code === 'id-hierarchy');
    assert.ok(h);
    assert.match(h.message, /T2\.1\.1 sits under S1\.1.*belongs under S2\.1/);
  });

  test('an id of the wrong shape for its level is an error', () => {
    const b = good();
    b.epics[0]!.id = 'E1.1.1';
    assert.ok(codes(b).includes('id-shape'));
  });

  test('sources that are not blocks of the page are errors', () => {
    const b = good();
    b.epics[0]!.stories[1]!.sources = ['blk-1', 'blk-404'];
    const f = checkLimits(b, doc).find((x) => x.code === 'unknown-source');
    assert.ok(f);
    assert.equal(f.blockId, 'blk-404');
    assert.equal(f.itemId, 'S1.2');
  });

  test('too many epics, stories per epic, sub-tasks per story and items are errors', () => {
    const b = good();
    const story = b.epics[0]!.stories[0]!;
    story.subtasks = Array.from({ length: LIMITS.subtasksPerStoryMax + 1 }, (_, i) => ({ ...story.subtasks[0]!, id: `T1.1.${i + 1}` }));
    b.epics[1]!.stories = Array.from({ length: LIMITS.storiesPerEpicMax + 1 }, (_, i) => ({ ...b.epics[1]!.stories[0]!, id: `S2.${i + 1}`, dependsOn: [] }));
    for (let i = 3; i <= LIMITS.epicsMax + 1; i++) b.epics.push({ ...b.epics[0]!, id: `E${i}`, stories: [] });
    const c = codes(b);
    assert.ok(c.includes('too-many-subtasks'));
    assert.ok(c.includes('too-many-stories'));
    assert.ok(c.includes('too-many-epics'));
    assert.ok(!c.includes('too-many-items'));
    b.epics[2]!.stories = Array.from({ length: LIMITS.itemsMax }, (_, i) => ({ ...story, id: `S3.${i + 1}`, subtasks: [] }));
    assert.ok(codes(b).includes('too-many-items'));
  });

  test('over-long fields are reported with the limit', () => {
    const b = good();
    b.epics[0]!.stories[0]!.title = 'x'.repeat(LIMITS.titleMax + 5);
    const f = checkLimits(b, doc).find((x) => x.code === 'field-too-long');
    assert.ok(f);
    assert.match(f.message, new RegExp(`${LIMITS.titleMax + 5}.*limit is ${LIMITS.titleMax}`));
  });
});
