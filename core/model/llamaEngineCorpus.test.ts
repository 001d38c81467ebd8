// The embedded engine on real corpus pages (English, German, user stories), on the tiny
// random-weight Qwen: schema-valid, covered, citing only blocks of each request's chunk. Its own
// file so its long random-weight runs get their own time limit.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import { assertCitationsInEnum, assertCovered, assertPrefixReused, assertTraceable, LIMITS_FOR_TESTS, page } from '../../test/support/engineAssertions.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';
import { LlamaBreakdownEngine } from './llamaEngine.ts';
import type { LlamaEngineConfig } from './llamaEngine.ts';
import { LlamaRuntime } from './runtime.ts';
import type { GenerationProgress } from './types.ts';

describe('Qwen breakdown engine on corpus pages', () => {
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

  for (const name of ['prd-checkout', 'lastenheft-zahlungen', 'user-stories-onboarding']) {
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
