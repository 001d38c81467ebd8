// Cancelling and timing out the embedded engine, on the tiny random-weight Qwen: between two
// requests, in the middle of decoding, and at a job's deadline. Its own file so its runs get their
// own time limit.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { page, LIMITS_FOR_TESTS } from '../../test/support/engineAssertions.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';
import { LlamaBreakdownEngine } from './llamaEngine.ts';
import type { GenerationStats, LlamaEngineConfig } from './llamaEngine.ts';
import { LlamaRuntime } from './runtime.ts';
import { ModelError } from './modelStore.ts';

describe('Qwen breakdown engine: cancel and timeout', () => {
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

  /**
   * tech-spec-export cancelled between its first section request and the next: the reference for
   * the mid-decode tests below (greedy decoding repeats the same requests token for token).
   */
  let firstSection: { stats: GenerationStats; stoppedAfter: number } | undefined;
  async function cancelAfterFirstSection(): Promise<{ stats: GenerationStats; stoppedAfter: number }> {
    if (firstSection) return firstSection;
    const ac = new AbortController();
    let abortedAt = 0;
    const run = engine.generate(page('tech-spec-export'), {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase === 'sections' && !abortedAt) {
          abortedAt = Date.now();
          ac.abort();
        }
      },
    });
    await assert.rejects(run, (e) => e instanceof ModelError && e.code === 'cancelled' && /cancelled/i.test(e.message));
    assert.ok(abortedAt > 0, 'generation had started');
    firstSection = { stats: engine.lastStats!, stoppedAfter: Date.now() - abortedAt };
    return firstSection;
  }

  /** Output tokens of the request that was running when the job stopped (metered, but never finished). */
  const inFlightTokens = (s: GenerationStats): number => s.outputTokens - s.perRequest.reduce((n, r) => n + r.outputTokens, 0);

  /** The first section request of the reference, and a moment early in it. */
  async function longRequest(): Promise<{ reference: GenerationStats; at: number }> {
    const reference = (await cancelAfterFirstSection()).stats;
    const target = reference.perRequest[1]!;
    assert.equal(target.purpose, 'section');
    // Enough tokens that a request cut short is told apart from one run to its end.
    assert.ok(target.outputTokens >= 50, `the reference request decoded only ${target.outputTokens} tokens`);
    // A fifth into the request: most of its decoding is still ahead.
    return { reference, at: target.startMs + 0.2 * target.ms };
  }

  test('cancelling between two requests stops the job before the next one with a clear message', async () => {
    const { stats, stoppedAfter } = await cancelAfterFirstSection();
    assert.ok(stoppedAfter < 1000, `stopped ${stoppedAfter} ms after the abort`);
    assert.deepEqual(stats.perRequest.map((r) => r.purpose), ['outline', 'section']);
    assert.equal(inFlightTokens(stats), 0, 'no request was started after the abort');
    assert.equal(engine.status().state, 'ready');
  });

  test('cancelling while the model is decoding stops the request within a second', async () => {
    const { reference, at } = await longRequest();
    const ac = new AbortController();
    let abortedAt = 0;
    const run = engine.generate(page('tech-spec-export'), {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.phase !== 'outline') return;
        setTimeout(() => {
          abortedAt = Date.now();
          ac.abort();
        }, at);
      },
    });
    await assert.rejects(run, (e) => e instanceof ModelError && e.code === 'cancelled' && /cancelled/i.test(e.message));
    const stoppedAfter = Date.now() - abortedAt;
    assert.ok(abortedAt > 0, 'aborted from the timer');
    const stats = engine.lastStats!;
    const running = stats.requests;
    assert.ok(running <= 1, `${running} requests had finished; the abort was meant for the first section request`);
    assert.ok(inFlightTokens(stats) > 0, 'the model was decoding when the abort came');
    assert.ok(inFlightTokens(stats) < reference.perRequest[running]!.outputTokens, `stopped after ${inFlightTokens(stats)} of the request's ${reference.perRequest[running]!.outputTokens} tokens`);
    assert.ok(stoppedAfter < 1000, `stopped ${stoppedAfter} ms after the abort`);
    assert.equal(engine.status().state, 'ready');
  });

  test('a job that exceeds its timeout is stopped within a second of the deadline, mid-decode, and says so', async () => {
    const { reference, at } = await longRequest();
    const timeoutMs = Math.ceil(at / 100) * 100;
    const started = Date.now();
    const limit = new RegExp(`took longer than the ${(timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0).replace('.', '\\.')} s limit`);
    await assert.rejects(engine.generate(page('tech-spec-export'), { timeoutMs }), (e) => e instanceof ModelError && e.code === 'timed_out' && limit.test(e.message));
    const elapsed = Date.now() - started;
    const stats = engine.lastStats!;
    assert.ok(inFlightTokens(stats) > 0, 'the deadline came while the model was decoding');
    assert.ok(inFlightTokens(stats) < reference.perRequest[stats.requests]!.outputTokens, 'the request was cut short');
    assert.ok(elapsed >= timeoutMs - 20, `stopped after ${elapsed} ms, before the ${timeoutMs} ms deadline`);
    // The slack is for a busy machine; the job itself runs for many seconds without the deadline.
    assert.ok(elapsed - timeoutMs < 1000, `stopped ${elapsed - timeoutMs} ms after the ${timeoutMs} ms deadline`);
  });

});
