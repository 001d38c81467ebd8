// Checks shared by the embedded engine's tests on the tiny random-weight Qwen: every citation is a
// block of the page and of the request's own chunk, requirements are covered (or the reviewer is
// told why not), and the system prompt's KV prefix is reused; and the suite for one corpus page
// (one test file per page, so each long random-weight run gets its own time limit).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import type { Breakdown } from '../../core/breakdown/schema.ts';
import { computeCoverage } from '../../core/breakdown/coverage.ts';
import { LlamaBreakdownEngine } from '../../core/model/llamaEngine.ts';
import type { LlamaEngineConfig } from '../../core/model/llamaEngine.ts';
import type { GenerationStats } from '../../core/model/pipeline.ts';
import { LlamaRuntime } from '../../core/model/runtime.ts';
import type { GenerationProgress } from '../../core/model/types.ts';
import { tinyQwenPath } from './tinyQwen.ts';
import { parseSpec } from '../../core/spec/index.ts';
import type { SpecDocument } from '../../core/spec/types.ts';
import { loadCorpusPage } from '../corpus/index.ts';

/** Small output limits keep random-weight generation (which fills every string to its limit) short. */
export const LIMITS_FOR_TESTS = { epicsMax: 2, storiesMax: 2, subtasksMax: 1, titleMax: 24, descriptionMax: 16, criteriaMax: 1, criterionMax: 16, sourcesMax: 2 };

export function page(name: string): SpecDocument {
  const { page: p, content } = loadCorpusPage(name);
  return parseSpec(content, { format: p.format });
}

export function assertTraceable(doc: SpecDocument, b: Breakdown): void {
  const ids = new Set(doc.blocks.map((x) => x.id));
  for (const { item } of flattenBreakdown(b)) {
    for (const s of item.sources) assert.ok(ids.has(s), `${item.id} cites ${s}, which is not on the page`);
  }
}

/**
 * Every requirement block is cited by an item, except those the model said need no story: the
 * reviewer is told about each of those, with the model's reason.
 */
export function assertCovered(doc: SpecDocument, b: Breakdown, stats: GenerationStats): void {
  const skipped = new Map(stats.coverage.noStoryNeeded.map((n) => [n.blockId, n.why]));
  const uncovered = computeCoverage(doc, b).uncovered;
  assert.deepEqual(uncovered.filter((id) => !skipped.has(id)), [], `uncovered: ${uncovered.join(', ')}`);
  for (const id of uncovered) assert.ok(b.warnings.some((w) => w.includes(id) && /needs no story/.test(w)), `${id} is shown to the reviewer`);
}

/** Every citation the model wrote lies in the enum of the chunk it was asked about, and none was dropped. */
export function assertCitationsInEnum(stats: GenerationStats): void {
  const asked = stats.perRequest.filter((r) => r.purpose !== 'outline');
  assert.ok(asked.length > 0 && asked.every((r) => r.citable && r.citable.length > 0 && r.cited));
  for (const r of asked) {
    for (const alias of r.cited!) assert.ok(r.citable!.includes(alias), `cited ${alias}, allowed ${r.citable!.join(' ')}`);
  }
  assert.equal(stats.citations.written, asked.reduce((n, r) => n + r.cited!.length, 0));
  assert.ok(stats.citations.written > 0, 'the model cited blocks');
  assert.deepEqual(stats.citations.dropped, []);
}

/** The system prompt is evaluated once per sequence; every later request on it reuses those tokens. */
export function assertPrefixReused(stats: GenerationStats): void {
  const saved = stats.promptTokens - stats.evaluatedInputTokens;
  const expected = (stats.requests - stats.sequences) * 0.8 * stats.systemPromptTokens;
  assert.ok(stats.requests > stats.sequences, `${stats.requests} requests on ${stats.sequences} sequence(s)`);
  assert.ok(saved >= expected, `${saved} prompt tokens not evaluated again, expected at least ${expected} (${stats.requests} requests, ${stats.sequences} sequence(s), system prompt ${stats.systemPromptTokens} tokens)`);
}

/** A corpus page becomes a schema-valid, covered breakdown citing only its own blocks. */
export function corpusPageSuite(name: string): void {
  describe(`Qwen breakdown engine on the ${name} page`, () => {
  let runtime: LlamaRuntime;
  let engine: LlamaBreakdownEngine;
  const config: LlamaEngineConfig = { modelPath: tinyQwenPath(), load: { contextSize: 2048, threads: 1 }, limits: LIMITS_FOR_TESTS, seed: 7, coveragePasses: 1 };

  before(async () => {
    runtime = await LlamaRuntime.open({ gpu: false });
    engine = await LlamaBreakdownEngine.create(config, runtime);
    assert.equal(engine.status().state, 'ready');
  });
  after(async () => {
    await engine.dispose();
    await runtime.dispose();
  });

  {
    test(`the ${name} page becomes a schema-valid, fully covered breakdown citing only its own blocks`, async () => {
      const doc = page(name);
      const progress: GenerationProgress[] = [];
      const b = await engine.generate(doc, { onProgress: (p) => progress.push(p) });
      assert.deepEqual(parseBreakdown(JSON.parse(JSON.stringify(b))), b);
      assertTraceable(doc, b);
      assertCovered(doc, b, engine.lastStats!);
      assert.equal(b.language, doc.language);
      const items = flattenBreakdown(b);
      const drafted = items.filter((f) => f.item.origin === 'drafter');
      assert.equal(b.generator.kind, drafted.length > 0 ? 'mixed' : 'model');
      assert.ok(items.some((f) => f.item.origin === 'model'), 'the model wrote items');
      for (const f of items.filter((x) => x.item.origin === 'model')) {
        // The grammar's maxLength counts characters (code points), not UTF-16 units.
        assert.ok([...f.item.title].length <= LIMITS_FOR_TESTS.titleMax, f.item.title);
        if (f.level === 'story') assert.ok(f.item.sources.length >= 1, `${f.item.id} cites its blocks`);
      }
      for (const e of b.epics) assert.ok(e.stories.length <= LIMITS.storiesPerEpicMax);
      assert.equal(progress[0]?.phase, 'outline');
      assert.equal(progress.at(-1)?.phase, 'done');
      const sections = progress.filter((p) => p.phase === 'sections');
      assert.ok(sections.length > 0 && sections.every((p) => p.section >= 1 && p.section <= p.sections));
      assert.ok(progress.at(-1)!.tokens > 0);
      const stats = engine.lastStats!;
      assertPrefixReused(stats);
      assertCitationsInEnum(stats);
    });
  }

});
}
