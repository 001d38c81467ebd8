// One pipeline suite, two engines: whatever client the pipeline runs on (the embedded
// node-llama-cpp runtime or an OpenAI-compatible server), a page becomes a schema-valid breakdown
// that covers its requirements and cites only blocks of the chunk each request was about, a
// cancelled job stops within a second, and requests run in parallel up to the configured limit.
// core/model/pipelineEngines.test.ts runs it against both engines on the tiny Qwen.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import type { Breakdown } from '../../core/breakdown/schema.ts';
import { computeCoverage } from '../../core/breakdown/coverage.ts';
import { ModelError } from '../../core/model/modelStore.ts';
import type { GenerationStats } from '../../core/model/pipeline.ts';
import type { GenerateOptions } from '../../core/model/types.ts';
import { parseSpec } from '../../core/spec/index.ts';
import type { SpecDocument } from '../../core/spec/types.ts';
import { loadCorpusPage } from '../corpus/index.ts';

/** Small output limits: random-weight generation fills every string to its limit. */
export const SUITE_LIMITS = { epicsMax: 2, storiesMax: 2, subtasksMax: 1, titleMax: 24, descriptionMax: 16, criteriaMax: 1, criterionMax: 16, sourcesMax: 2 };
/** Requests each engine serves at once. */
export const SUITE_PARALLEL = 2;

export interface SuiteEngine {
  generate(doc: SpecDocument, options?: GenerateOptions): Promise<Breakdown>;
  readonly lastStats: GenerationStats | undefined;
}

export type MakeEngine = () => Promise<{
  engine: SuiteEngine;
  /** Resolves when the runtime behind the engine has stopped working on requests (a server that saw the disconnect). */
  idle: () => Promise<unknown>;
  close: () => Promise<void>;
}>;

function page(name: string): SpecDocument {
  const { page: p, content } = loadCorpusPage(name);
  return parseSpec(content, { format: p.format });
}

export function pipelineSuite(label: string, make: MakeEngine): void {
  describe(`generation pipeline (${label})`, () => {
    test('a page becomes a schema-valid breakdown that covers its requirements and cites only blocks of each request', async () => {
      const { engine, close } = await make();
      try {
        const doc = page('prd-checkout');
        const b = await engine.generate(doc);
        assert.deepEqual(parseBreakdown(JSON.parse(JSON.stringify(b))), b);
        const stats = engine.lastStats!;
        const skipped = new Set(stats.coverage.noStoryNeeded.map((n) => n.blockId));
        assert.deepEqual(computeCoverage(doc, b).uncovered.filter((id) => !skipped.has(id)), []);
        const ids = new Set(doc.blocks.map((x) => x.id));
        for (const { item } of flattenBreakdown(b)) for (const s of item.sources) assert.ok(ids.has(s), `${item.id} cites ${s}`);
        for (const r of stats.perRequest.filter((x) => x.purpose !== 'outline')) {
          for (const alias of r.cited ?? []) assert.ok(r.citable!.includes(alias), `cited ${alias}, allowed ${r.citable!.join(' ')}`);
        }
        assert.deepEqual(stats.citations.dropped, []);
        assert.ok(flattenBreakdown(b).some((f) => f.item.origin === 'model'), 'the model wrote items');
      } finally {
        await close();
      }
    });

    test('a cancelled job stops within a second with a clear message', async () => {
      const { engine, idle, close } = await make();
      try {
        const ac = new AbortController();
        let abortedAt = 0;
        // Cancelled as the first chunk's answer arrives: the job must not start another request.
        const run = engine.generate(page('tech-spec-export'), {
          signal: ac.signal,
          onProgress: (p) => {
            if (p.phase === 'sections' && !abortedAt) {
              abortedAt = Date.now();
              ac.abort();
            }
          },
        });
        await assert.rejects(run, (e) => e instanceof ModelError && e.code === 'cancelled');
        assert.ok(abortedAt > 0);
        const stats = engine.lastStats!;
        assert.equal(stats.perRequest.filter((r) => r.purpose !== 'outline').length, 1, 'no request was started after the abort');
        assert.ok(Date.now() - abortedAt < 1000, `stopped ${Date.now() - abortedAt} ms after the abort`);
        await idle();
      } finally {
        await close();
      }
    });

    test('chunks are generated in parallel requests, and model time is not counted twice', async () => {
      const { engine, close } = await make();
      try {
        const doc = page('prd-checkout');
        const b = await engine.generate(doc);
        assert.deepEqual(parseBreakdown(JSON.parse(JSON.stringify(b))), b);
        const stats = engine.lastStats!;
        assert.equal(stats.sequences, SUITE_PARALLEL);
        const summed = stats.perRequest.reduce((n, r) => n + r.ms, 0);
        assert.ok(stats.modelMs <= stats.wallMs + 1);
        assert.ok(summed > stats.modelMs * 1.05, `requests overlapped: ${summed} ms summed, model busy ${stats.modelMs} ms`);
      } finally {
        await close();
      }
    });
  });
}
