import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CORPUS_PAGES, loadCorpusPage } from '../../test/corpus/index.ts';
import { parseSpec } from '../spec/index.ts';
import { LIMITS, flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import { checkBreakdown } from '../breakdown/checkBreakdown.ts';
import { draftBreakdown } from './draftBreakdown.ts';

describe('the drafter over the spec corpus', () => {
  for (const page of CORPUS_PAGES) {
    test(`${page.name}: every requirement is covered, within the limits, with no error findings`, () => {
      const { content } = loadCorpusPage(page.name);
      const doc = parseSpec(content, { format: page.format });
      const breakdown = draftBreakdown(doc);
      assert.deepEqual(parseBreakdown(JSON.parse(JSON.stringify(breakdown))), breakdown);
      const report = checkBreakdown(doc, breakdown);
      assert.ok(report.coverage.requirementBlocks > 0, 'the page has requirements to cover');
      assert.equal(report.coverage.ratio, 1, `uncovered: ${report.coverage.uncovered.join(', ')}`);
      assert.deepEqual(report.findings.filter((f) => f.severity === 'error'), []);
      assert.ok(flattenBreakdown(breakdown).length <= LIMITS.itemsMax);
      assert.ok(breakdown.epics.every((e) => e.stories.length > 0), 'no empty epics');
      // An epic titled like one of its own stories tells the reviewer nothing about the grouping.
      const sameTitle = breakdown.epics.flatMap((e) => e.stories.filter((s) => s.title.toLocaleLowerCase() === e.title.toLocaleLowerCase()).map((s) => `${e.id}/${s.id}: ${s.title}`));
      assert.deepEqual(sameTitle, [], 'an epic shares its title with one of its stories');
    });
  }
});
