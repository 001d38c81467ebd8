import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBreakdown } from './schema.ts';
import { computeCoverage, coverageFindings } from './coverage.ts';
import { buildSpec, h, li, p } from './fixtures/specDocument.ts';

const doc = buildSpec('Page', [
  p('Background without any requirement.'),
  h(1, 'Export'),
  p('FR-1 The system must export CSV.'),
  p('FR-2 The system must export PDF with a cover page and a table of contents for every chapter of the report.'),
  p('A note.'),
]);

const withSources = (sources: string[][]) =>
  parseBreakdown({
    generator: { kind: 'model' },
    epics: [{ id: 'E1', title: 'Export', stories: sources.map((s, i) => ({ id: `S1.${i + 1}`, title: `Story ${i + 1}`, sources: s })) }],
  });

describe('computeCoverage', () => {
  test('requirement blocks cited by no item are listed as uncovered with a snippet of their text', () => {
    const c = computeCoverage(doc, withSources([['blk-1']]));
    assert.equal(c.requirementBlocks, 2);
    assert.equal(c.covered, 1);
    assert.deepEqual(c.uncovered, ['blk-2']);
    assert.equal(c.ratio, 0.5);
    const [f] = coverageFindings(doc, c);
    assert.equal(f?.blockId, 'blk-2');
    assert.match(f!.message, /FR-2 The system must export PDF/);
    assert.match(f!.message, /…/);
    assert.match(f!.message, /under "Export"/);
  });

  test('citing every requirement block gives full coverage and no findings', () => {
    const c = computeCoverage(doc, withSources([['blk-1'], ['blk-2', 'blk-3']]));
    assert.equal(c.ratio, 1);
    assert.deepEqual(c.uncovered, []);
    assert.deepEqual(coverageFindings(doc, c), []);
  });

  test('a page without requirements counts as fully covered', () => {
    const plain = buildSpec('Notes', [p('Just some notes.')]);
    const c = computeCoverage(plain, withSources([]));
    assert.deepEqual([c.requirementBlocks, c.ratio], [0, 1]);
  });
});

describe('success criteria in the coverage', () => {
  test('success criteria are counted, and an untraced one is reported as such', () => {
    const page = buildSpec('Page', [h(1, 'Success criteria'), li('SC-1 Users finish checkout in under 2 minutes', ['id', 'successCriterion']), li('SC-2 Refunds arrive within 5 days', ['id', 'successCriterion'])]);
    const c = computeCoverage(page, withSources([['blk-0']]));
    assert.deepEqual(c.successCriteria, { total: 2, traced: 1 });
    const [f] = coverageFindings(page, c);
    assert.equal(f?.code, 'untraced-success-criterion');
    assert.match(f!.message, /SC-2 Refunds arrive within 5 days.*acceptance criterion of the epic or story it measures/);
  });
});

