// The embedded engine on the tiny random-weight Qwen: parallel sequences, the status while jobs run,
// the configured output language, and loading after a failed load. Its own file so its runs get
// their own time limit.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBreakdown } from '../breakdown/schema.ts';
import { parseSpec } from '../spec/index.ts';
import type { SpecDocument } from '../spec/types.ts';
import { assertCitationsInEnum, assertCovered, assertPrefixReused, assertTraceable, LIMITS_FOR_TESTS, page } from '../../test/support/engineAssertions.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';
import { LlamaBreakdownEngine } from './llamaEngine.ts';
import type { LlamaEngineConfig } from './llamaEngine.ts';
import { LlamaRuntime } from './runtime.ts';
import { createEngine } from './createEngine.ts';
import type { GenerationProgress, ModelStatus } from './types.ts';


/** A two-requirement page for tests about the engine's behaviour rather than page coverage. */
const smallDoc = (): SpecDocument =>
  parseSpec('<h1>Export</h1><p>FR-1: Users must export orders as CSV.</p><p>FR-2: The export must finish within 10 seconds.</p>', { format: 'storage' });

describe('Qwen breakdown engine: parallel sequences, status, language, loading', () => {
  let runtime: LlamaRuntime;
  let engine: LlamaBreakdownEngine;
  let dir: string;
  const config: LlamaEngineConfig = {
    modelPath: tinyQwenPath(),
    load: { contextSize: 2048, threads: 1 },
    limits: LIMITS_FOR_TESTS,
    seed: 7,
    // One coverage pass keeps these random-weight runs short; several passes are tested with the scripted model.
    coveragePasses: 1,
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 's2t-engine-'));
    runtime = await LlamaRuntime.open({ gpu: false });
    engine = await LlamaBreakdownEngine.create(config, runtime);
    assert.equal(engine.status().state, 'ready');
  });
  after(async () => {
    await engine.dispose();
    await runtime.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('sections on two parallel context sequences give a schema-valid, fully covered breakdown; model time is not counted twice', async () => {
    const parallel = await LlamaBreakdownEngine.create({ ...config, parallelSections: 2 }, runtime);
    try {
      const doc = page('prd-checkout');
      const b = await parallel.generate(doc);
      assert.deepEqual(parseBreakdown(JSON.parse(JSON.stringify(b))), b);
      assertTraceable(doc, b);
      const stats = parallel.lastStats!;
      assertCovered(doc, b, stats);
      assert.equal(stats.sequences, 2);
      assert.deepEqual([...new Set(stats.perRequest.map((r) => r.sequence))].sort(), [0, 1], 'both sequences served requests');
      // Overlapping requests: their summed time exceeds the time the model was busy, which stays within the wall time.
      const summed = stats.perRequest.reduce((n, r) => n + r.ms, 0);
      assert.ok(stats.modelMs <= stats.wallMs, `model ${stats.modelMs} ms, wall ${stats.wallMs} ms`);
      assert.ok(summed > stats.modelMs * 1.1, `requests overlapped: ${summed} ms summed, model busy ${stats.modelMs} ms`);
      assertPrefixReused(stats);
      assertCitationsInEnum(stats);
    } finally {
      // The shared runtime goes back to the one-sequence model the other tests use.
      await engine.load(config.modelPath);
    }
  });

  test('while jobs run the status says generating, with the queue depth and tokens per second', async () => {
    const seen: ModelStatus[] = [];
    const stop = engine.onStatus((s) => seen.push(s));
    const doc = smallDoc();
    await Promise.all([engine.generate(doc), engine.generate(doc)]);
    stop();
    const generating = seen.filter((s): s is Extract<ModelStatus, { state: 'generating' }> => s.state === 'generating');
    assert.ok(generating.some((s) => s.queueDepth === 2), 'two jobs queued at once');
    assert.ok(generating.some((s) => s.tokensPerSecond > 0));
    assert.equal(engine.status().state, 'ready');
  });

  test('output is written in the configured language, and a long section is split into chunks that fit', async () => {
    const other = await LlamaBreakdownEngine.create({ ...config, language: 'de', chunkPromptTokens: 64 }, runtime);
    const doc = parseSpec(
      '<h1>Export</h1>' +
        [
          'FR-1: Users must export all orders of a chosen month as a CSV file with one line per order.',
          'FR-2: The export must finish within ten seconds for up to fifty thousand orders in the month.',
          'FR-3: Each exported line must contain the order number, date, customer, total and currency.',
          'FR-4: Administrators must be able to schedule a monthly export that is sent by e-mail.',
        ]
          .map((t) => `<p>${t}</p>`)
          .join(''),
      { format: 'storage' },
    );
    assert.equal(doc.language, 'en');
    assert.equal(new Set(doc.blocks.map((b) => b.sectionId)).size, 1, 'one section');
    const progress: GenerationProgress[] = [];
    const b = await other.generate(doc, { onProgress: (p) => progress.push(p) });
    assert.equal(b.language, 'de');
    const chunks = progress.find((p) => p.phase === 'sections')?.sections ?? 0;
    assert.ok(chunks >= 2, `${chunks} chunk(s) for one long section`);
    assertCovered(doc, b, other.lastStats!);
    assertTraceable(doc, b);
    await other.dispose();
  });

  test('a model that fails to load leaves an error status, and loading a good file afterwards works', async () => {
    const broken = await createEngine({ kind: 'llama', ...config, modelPath: join(dir, 'missing.gguf') }, runtime);
    assert.equal(broken.status().state, 'error');
    assert.match((broken.status() as { message: string }).message, /not found/i);
    await assert.rejects(broken.generate(smallDoc()), /No model is loaded/);
    const good = join(dir, 'good.gguf');
    copyFileSync(config.modelPath, good);
    await (broken as LlamaBreakdownEngine).load(good);
    assert.deepEqual(broken.status(), { state: 'ready', model: 'good.gguf', gpu: false });
    const b = await broken.generate(smallDoc());
    assert.ok(b.epics.length > 0);
    await broken.dispose();
    // The shared runtime serves the next engine.
    await engine.load(config.modelPath);
  });
});
