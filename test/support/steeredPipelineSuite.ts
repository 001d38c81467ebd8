// The generation pipeline's behaviour with a model that writes chosen answers, as one suite that
// runs against any engine built from the pipeline and a ModelClient: the embedded node-llama-cpp
// client steered per token (core/model/llamaPipeline.test.ts), and any other client whose test
// double can be told what to answer. Each test scripts the model (test/support/scriptedModel.ts)
// and checks what the pipeline made of it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { flattenBreakdown, parseBreakdown } from '../../core/breakdown/schema.ts';
import type { Breakdown } from '../../core/breakdown/schema.ts';
import { computeCoverage } from '../../core/breakdown/coverage.ts';
import type { CompletionRequest } from '../../core/model/modelClient.ts';
import type { GenerationStats, PipelineConfig } from '../../core/model/pipeline.ts';
import { LOOP_RETRY_REPEAT_PENALTY } from '../../core/model/pipeline.ts';
import type { GenerateOptions } from '../../core/model/types.ts';
import { parseSpec } from '../../core/spec/index.ts';
import type { SpecDocument } from '../../core/spec/types.ts';
import { cooperativeAnswer, cooperativeStories, readSectionAsk, sectionJson } from './scriptedModel.ts';

export interface SteeredEngine {
  generate(doc: SpecDocument, options?: GenerateOptions): Promise<Breakdown>;
  readonly lastStats: GenerationStats | undefined;
}

export interface SteeredSetup {
  /** The answer the model must write for a request. */
  steer: (request: CompletionRequest) => string;
  config: PipelineConfig;
  /** Requests served at once (context sequences, or the server's parallel slots). */
  parallel?: number;
  contextSize?: number;
}

export type MakeSteeredEngine = (setup: SteeredSetup) => Promise<{ engine: SteeredEngine; dispose: () => Promise<void> }>;

/** Output limits small enough for quick tests, large enough for several stories per answer. */
export const STEERED_LIMITS = { epicsMax: 2, storiesMax: 4, subtasksMax: 1, titleMax: 40, descriptionMax: 120, criteriaMax: 1, criterionMax: 24, sourcesMax: 2 };

export const requirementsPage = (n: number, title = 'Orders'): SpecDocument =>
  parseSpec(`<h1>${title}</h1>` + Array.from({ length: n }, (_, i) => `<p>FR-${i + 1}: Users must be able to handle order case number ${i + 1}.</p>`).join(''), { format: 'storage' });

const modelItems = (b: Breakdown) => flattenBreakdown(b).filter((f) => f.item.origin === 'model');

/** Requirement blocks cited by items the model wrote, over all requirement blocks. */
export function modelCoverage(doc: SpecDocument, b: Breakdown): number {
  const cited = new Set(modelItems(b).flatMap((f) => f.item.sources));
  const reqs = doc.blocks.filter((x) => x.tags.length > 0);
  return reqs.filter((x) => cited.has(x.id)).length / Math.max(1, reqs.length);
}

function assertValid(doc: SpecDocument, b: Breakdown): void {
  assert.deepEqual(parseBreakdown(JSON.parse(JSON.stringify(b))), b);
  const ids = new Set(doc.blocks.map((x) => x.id));
  for (const { item } of flattenBreakdown(b)) for (const s of item.sources) assert.ok(ids.has(s), `${item.id} cites ${s}`);
}

const isRetry = (r: CompletionRequest): boolean => /could not be used|not in English/.test(r.messages.at(-1)?.content ?? '');

export function steeredPipelineSuite(label: string, make: MakeSteeredEngine): void {
  describe(`generation pipeline with a scripted model (${label})`, () => {
    async function run(setup: SteeredSetup, doc: SpecDocument, options?: GenerateOptions): Promise<{ b: Breakdown; stats: GenerationStats; asked: CompletionRequest[] }> {
      const asked: CompletionRequest[] = [];
      const { engine, dispose } = await make({
        ...setup,
        steer: (r) => {
          asked.push(r);
          return setup.steer(r);
        },
      });
      try {
        const b = await engine.generate(doc, options);
        return { b, stats: engine.lastStats!, asked };
      } finally {
        await dispose();
      }
    }

    test('a cut-off answer keeps its complete stories, and the rest of its requirements are asked for again', async () => {
      const doc = requirementsPage(6);
      // The budget assumes 20 characters per token, so the request asks for three stories where
      // an answer may take 360 tokens: two stories take about 160, the third (with a long
      // description of digits, one token each) is cut off.
      const { b, stats, asked } = await run(
        {
          config: { limits: { ...STEERED_LIMITS, descriptionMax: 400 }, maxAnswerTokens: 360, budgetCharsPerToken: 20 },
          steer: (r) => {
            const ask = readSectionAsk(r);
            if (!ask || ask.requirements.length < 6) return cooperativeAnswer(r);
            const stories = cooperativeStories(ask);
            stories[2]!.desc = `Steps: ${Array.from({ length: 200 }, (_, i) => i % 10).join(' ')}`.slice(0, ask.descMax);
            return sectionJson(ask, stories);
          },
        },
        doc,
      );
      assertValid(doc, b);
      const first = stats.perRequest.find((r) => r.purpose === 'section')!;
      assert.equal(first.stopReason, 'maxTokens');
      assert.equal(stats.answers.cutOff, 1);
      assert.equal(stats.answers.storiesRecovered, 2, 'the two stories that closed were kept');
      const rest = stats.perRequest.filter((r) => r.retry === 'rest-after-cut-off');
      assert.equal(rest.length, 1, 'one follow-up request');
      assert.equal(rest[0]!.citable!.length, 2, 'it asked only for the two requirements the kept stories left uncited');
      assert.ok(readSectionAsk(asked.at(-1)!)!.requirements.length === 2);
      assert.equal(modelCoverage(doc, b), 1, 'every requirement is covered by a model story');
      assert.deepEqual(stats.coverage.drafted, []);
      assert.equal(modelItems(b).filter((f) => f.level === 'story').length, 3);
    });

    test('an unusable answer is asked for again with a stricter prompt; unusable twice, its requirements are drafted with a named warning', async () => {
      const doc = requirementsPage(3);
      const retried = await run({ config: { limits: STEERED_LIMITS }, steer: (r) => (readSectionAsk(r) && !isRetry(r) ? '{"stories":[]}' : cooperativeAnswer(r)) }, doc);
      assertValid(doc, retried.b);
      assert.equal(retried.stats.answers.invalid, 1);
      const again = retried.stats.perRequest.filter((r) => r.retry === 'invalid');
      assert.equal(again.length, 1);
      assert.match(retried.asked.find(isRetry)!.messages.at(-1)!.content, /could not be used: no stories were written/);
      assert.equal(modelCoverage(doc, retried.b), 1);

      // Never usable: empty for the section, a blank title in the coverage pass.
      const blank = (r: CompletionRequest): string => {
        const ask = readSectionAsk(r);
        if (!ask) return cooperativeAnswer(r);
        if (ask.purpose !== 'coverage') return '{"stories":[]}';
        const [s] = cooperativeStories(ask);
        return sectionJson(ask, [{ ...s!, title: ' ' }]);
      };
      const failed = await run({ config: { limits: STEERED_LIMITS, coveragePasses: 1 }, steer: blank }, doc);
      assertValid(doc, failed.b);
      assert.equal(modelCoverage(doc, failed.b), 0);
      assert.equal(failed.stats.coverage.drafted.length, 3, 'the drafter covered what the model could not');
      assert.ok(failed.b.warnings.some((w) => /could not be used, even when asked again \(no stories were written/.test(w)), failed.b.warnings.join('\n'));
      assert.ok(failed.b.warnings.some((w) => /could not be used, even when asked again \(stories\.0\.title: a story has an empty title\)/.test(w)), failed.b.warnings.join('\n'));
    });

    test('a looping answer is detected and asked for again with a repetition penalty', async () => {
      const doc = requirementsPage(4);
      const { b, stats, asked } = await run(
        {
          config: { limits: STEERED_LIMITS },
          steer: (r) => {
            const ask = readSectionAsk(r);
            if (!ask || (r.sampling?.repeatPenalty ?? 1) >= LOOP_RETRY_REPEAT_PENALTY) return cooperativeAnswer(r);
            const stories = cooperativeStories(ask);
            stories[0]!.desc = 'the order is saved and the order is saved and the order is saved and'.slice(0, ask.descMax);
            return sectionJson(ask, stories);
          },
        },
        doc,
      );
      assertValid(doc, b);
      assert.equal(stats.answers.looping, 1);
      assert.equal(stats.perRequest.filter((r) => r.retry === 'loop').length, 1);
      const retry = asked.find((r) => (r.sampling?.repeatPenalty ?? 1) >= LOOP_RETRY_REPEAT_PENALTY);
      assert.ok(retry, 'the retry carried a repetition penalty');
      assert.ok(modelItems(b).every((f) => !/is saved and the order is saved/.test(f.item.description)), 'the looping text was not kept');
      assert.equal(modelCoverage(doc, b), 1);
    });

    test('an answer in the wrong language is asked for again with the instruction repeated', async () => {
      const doc = requirementsPage(2);
      const { b, stats, asked } = await run(
        {
          config: { limits: STEERED_LIMITS },
          steer: (r) => {
            const ask = readSectionAsk(r);
            if (!ask) return cooperativeAnswer(r);
            return sectionJson(ask, cooperativeStories(ask, isRetry(r) ? 'de' : 'en'));
          },
        },
        doc,
        { language: 'de' },
      );
      assertValid(doc, b);
      assert.equal(b.language, 'de');
      assert.equal(stats.answers.wrongLanguage, 1);
      assert.equal(stats.perRequest.filter((r) => r.retry === 'language').length, 1);
      assert.match(asked.find(isRetry)!.messages.at(-1)!.content, /in German, not in English/);
      assert.ok(modelItems(b).filter((f) => f.level === 'story').every((f) => /Der Benutzer/.test(f.item.description)), 'the German answer was kept');
    });

    test('a 30-requirement section is covered by model stories, every answer within its budget', async () => {
      const doc = requirementsPage(30);
      const contextSize = 4096;
      const { b, stats } = await run({ config: { limits: { ...STEERED_LIMITS, storiesMax: 6 } }, steer: (r) => cooperativeAnswer(r), contextSize }, doc);
      assertValid(doc, b);
      assert.equal(computeCoverage(doc, b).ratio, 1);
      assert.equal(modelCoverage(doc, b), 1, 'no requirement was left to the drafter');
      assert.equal(stats.coverage.passes, 0, 'the section pass alone covered them');
      const sections = stats.perRequest.filter((r) => r.purpose === 'section');
      assert.ok(sections.length >= 3, `${sections.length} chunks: by requirement count, not one request for all`);
      for (const r of sections) {
        assert.equal(r.stopReason, 'stop');
        assert.ok(r.reusedTokens + r.inputTokens + r.outputTokens <= contextSize, 'prompt and answer fit the context');
      }
      // Stories of one answer depend on the one before (the model's "after"), and sub-tasks cite blocks.
      const stories = modelItems(b).filter((f) => f.level === 'story').map((f) => f.item);
      assert.ok(stories.some((s) => s.dependsOn.length > 0));
      assert.ok(flattenBreakdown(b).some((f) => f.level === 'subtask' && f.item.sources.length > 0));
    });

    test('coverage passes repeat while they make progress, and a block the model says needs no story is shown with its reason, not drafted', async () => {
      const doc = requirementsPage(4);
      let coverageAsks = 0;
      const { b, stats } = await run(
        {
          config: { limits: STEERED_LIMITS },
          steer: (r) => {
            const ask = readSectionAsk(r);
            if (!ask) return cooperativeAnswer(r);
            // The section pass covers only the first requirement.
            if (ask.purpose !== 'coverage') return sectionJson(ask, cooperativeStories({ ...ask, requirements: ask.requirements.slice(0, 1) }));
            coverageAsks++;
            // First coverage pass: one story, and the last block needs no story; the second pass covers the rest.
            if (coverageAsks === 1) {
              const last = ask.requirements.at(-1)!;
              return sectionJson(ask, cooperativeStories({ ...ask, requirements: ask.requirements.slice(0, 1) }), [{ block: last, why: 'Repeats FR-1' }]);
            }
            return cooperativeAnswer(r);
          },
        },
        doc,
      );
      assertValid(doc, b);
      assert.equal(stats.coverage.passes, 2);
      assert.equal(stats.coverage.noStoryNeeded.length, 1);
      const skipped = stats.coverage.noStoryNeeded[0]!;
      assert.equal(skipped.why, 'Repeats FR-1');
      assert.ok(b.warnings.some((w) => w.includes(skipped.blockId) && w.includes('Repeats FR-1')), b.warnings.join('\n'));
      assert.deepEqual(stats.coverage.drafted, [], 'nothing was drafted');
      assert.deepEqual(computeCoverage(doc, b).uncovered, [skipped.blockId]);
      assert.equal(stats.coverage.coveredBySecondPass.length, 2);
    });

    test('requests served in parallel give a schema-valid breakdown', async () => {
      const doc = parseSpec(
        ['Search', 'Cart', 'Payment', 'Delivery'].map((h) => `<h2>${h}</h2>` + [1, 2, 3].map((i) => `<p>${h.toUpperCase()}-${i}: The ${h.toLowerCase()} step must support case ${i}.</p>`).join('')).join(''),
        { format: 'storage' },
      );
      const { b, stats } = await run({ config: { limits: STEERED_LIMITS, parallelSections: 2 }, parallel: 2, steer: (r) => cooperativeAnswer(r) }, doc);
      assertValid(doc, b);
      assert.equal(stats.sequences, 2);
      assert.deepEqual([...new Set(stats.perRequest.filter((r) => r.purpose === 'section').map((r) => r.sequence))].sort(), [0, 1], 'both slots served requests');
      assert.equal(modelCoverage(doc, b), 1);
      assert.ok(stats.modelMs <= stats.wallMs);
    });
  });
}
