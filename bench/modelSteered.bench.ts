// Model figures that need a model which writes sensible answers, measured with the tiny Qwen whose
// output is steered per token (a logit bias forcing a chosen answer), so the real runtime does the
// work a trained model agreeing with that answer would cause (numbered after bench/model.bench.ts):
// (5) grammar cost when the model agrees with the grammar: forced decode with and without the
//     JSON-schema grammar, ms per token,
// (6) stories per request the answer budget allows on the corpus's densest section, before (one
//     token per character) and after (measured characters per token),
// (7) fraction of requirement blocks covered by model items (not drafter fill) on the corpus, with
//     the scripted cooperative model.

import { LlamaChatSession, TokenBias } from 'node-llama-cpp';
import type { LlamaGrammar, Token } from 'node-llama-cpp';
import { computeCoverage } from '../core/breakdown/coverage.ts';
import { flattenBreakdown } from '../core/breakdown/schema.ts';
import { LlamaBreakdownEngine } from '../core/model/llamaEngine.ts';
import { BUDGET_CHARS_PER_TOKEN, budgetTokens, clampLimits, DEFAULT_OUTPUT_LIMITS, sectionSchema, worstCaseTokens } from '../core/model/outputSchema.ts';
import { sectionPrompt, systemPrompt } from '../core/model/prompts.ts';
import { LlamaRuntime } from '../core/model/runtime.ts';
import { parseSpec } from '../core/spec/index.ts';
import type { SpecDocument } from '../core/spec/types.ts';
import { CORPUS_PAGES, loadCorpusPage } from '../test/corpus/index.ts';
import { cooperativeAnswer, cooperativeStories, readSectionAsk, sectionJson } from '../test/support/scriptedModel.ts';
import { tinyQwenPath } from '../test/support/tinyQwen.ts';

const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const page = (name: string): SpecDocument => {
  const { page: p, content } = loadCorpusPage(name);
  return parseSpec(content, { format: p.format });
};

const runtime = await LlamaRuntime.open({ gpu: false });
const modelPath = tinyQwenPath();

// (5) Forced decode of the same answer, with and without the grammar.
{
  const loaded = await runtime.load(modelPath, { contextSize: 4096, threads: 1 });
  const model = loaded.model;
  const limits = clampLimits({ storiesMax: 6, subtasksMax: 2, titleMax: 80, descriptionMax: 300, criteriaMax: 3, criterionMax: 120, sourcesMax: 2 });
  const aliases = Array.from({ length: 12 }, (_, i) => `b${i + 1}`);
  const schema = sectionSchema(limits, 3, aliases);
  const prompt = 'Write the stories for section 1.';
  const ask = readSectionAsk({ messages: [{ role: 'user', content: aliases.map((a) => `[${a} paragraph requirement FR-${a.slice(1)}] text`).join('\n') }], schema, maxTokens: 0, purpose: 'section' })!;
  const answer = sectionJson(ask, cooperativeStories(ask).map((s) => ({ ...s, desc: `${s.desc} It keeps the order history for audits, and support can look it up by number.` })));
  const target: Token[] = [...model.tokenize(answer), model.tokens.eos!];
  const grammar = await runtime.llama.createGrammarForJsonSchema(schema as never);
  const seq = loaded.context.getSequence();
  const session = new LlamaChatSession({ contextSequence: seq, systemPrompt: 'Answer in JSON.' });
  const forced = async (g: LlamaGrammar | undefined): Promise<{ msPerToken: number; tokens: number; exact: boolean }> => {
    session.resetChatHistory();
    let at = 0;
    const bias = (): TokenBias => new TokenBias(model.tokenizer).set(target[Math.min(at++, target.length - 1)]!, { logit: 1e4 });
    const before = seq.tokenMeter.usedOutputTokens;
    let first = 0;
    const text = await session.prompt(prompt, {
      ...(g ? { grammar: g } : {}),
      maxTokens: target.length + 8,
      temperature: 0,
      tokenBias: bias,
      onToken: () => {
        if (!first) first = performance.now();
      },
    });
    const tokens = seq.tokenMeter.usedOutputTokens - before;
    // Decode only: from the first answer token (the prompt's prefill is the same either way).
    // Without a grammar the turn may run a few tokens past the answer (the end-of-turn token is not a
    // hard stop there); the answer itself must be what was forced.
    return { msPerToken: (performance.now() - first) / Math.max(1, tokens - 1), tokens, exact: g ? text === answer : text.startsWith(answer) };
  };
  await forced(undefined); // warm-up
  const runs = { free: [] as number[], grammar: [] as number[] };
  let check = { free: true, grammar: true, tokens: 0 };
  for (let i = 0; i < 3; i++) {
    const a = await forced(undefined);
    const b = await forced(grammar);
    runs.free.push(a.msPerToken);
    runs.grammar.push(b.msPerToken);
    check = { free: check.free && a.exact, grammar: check.grammar && b.exact, tokens: b.tokens };
  }
  const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const free = median(runs.free);
  const constrained = median(runs.grammar);
  console.log(
    `(5) grammar cost when the model agrees with it (forced ${check.tokens}-token section answer, median of 3): without grammar ${f2(free)} ms/token, with the JSON-schema grammar ${f2(constrained)} ms/token (${f2(constrained / free)}x; +${f2(constrained - free)} ms/token). ` +
      `Both wrote the chosen answer exactly: ${check.free && check.grammar ? 'yes' : 'no'}`,
  );
  session.dispose();
  await runtime.unload();
}

// (6) Stories the answer budget allows per request on the densest section of the corpus, with the
// default limits and an 8192-token context.
{
  const loaded = await runtime.load(modelPath, { contextSize: 8192, threads: 1 });
  const count = (s: string): number => loaded.model.tokenize(s).length;
  let densest = { page: '', section: '', requirements: 0, doc: undefined as SpecDocument | undefined, blockIds: [] as string[] };
  for (const p of CORPUS_PAGES) {
    const doc = page(p.name);
    for (const s of doc.sections) {
      const reqs = s.blockIds.filter((id) => doc.blocks.find((b) => b.id === id)?.tags.length);
      if (reqs.length > densest.requirements) densest = { page: p.name, section: s.title, requirements: reqs.length, doc, blockIds: s.blockIds };
    }
  }
  const doc = densest.doc!;
  const limits = clampLimits(DEFAULT_OUTPUT_LIMITS);
  const sys = count(systemPrompt(doc.language, limits)) + 16;
  const blocks = densest.blockIds.map((id) => doc.blocks.find((b) => b.id === id)!).slice(0, 40);
  const aliases = blocks.map((_, i) => `b${i + 1}`);
  const prompt = count(sectionPrompt([densest.section], blocks.map((block, i) => ({ alias: aliases[i]!, block })), ['Epic'], 'section'));
  const room = loaded.contextSize - sys - prompt - 48;
  const fit = (cost: (n: number) => number): number => {
    let n = limits.storiesMax;
    while (n > 1 && cost(n) > room) n--;
    return n;
  };
  const before = fit((n) => worstCaseTokens(sectionSchema({ ...limits, storiesMax: n }, 3, aliases)));
  const after = fit((n) => budgetTokens(sectionSchema({ ...limits, storiesMax: n }, 3, aliases)));
  const perStoryBefore = worstCaseTokens(sectionSchema({ ...limits, storiesMax: 1 }, 3, aliases));
  const perStoryAfter = budgetTokens(sectionSchema({ ...limits, storiesMax: 1 }, 3, aliases));
  console.log(
    `(6) densest section: "${densest.section}" of ${densest.page} (${densest.requirements} requirement blocks; ${prompt}-token prompt, system prompt ${sys} tokens, 8192-token context, default limits of ${limits.storiesMax} stories per answer): ` +
      `stories per request allowed before (one token per character: ${perStoryBefore} tokens for a one-story answer) ${before}, after (${BUDGET_CHARS_PER_TOKEN} characters per token, measured: ${perStoryAfter} tokens) ${after}; ` +
      `requirements one request can have cited (stories × 2): before ${before * 2}, after ${after * 2}`,
  );
  await runtime.unload();
}

// (7) Requirement blocks covered by model items with the cooperative scripted model.
{
  const names = CORPUS_PAGES.map((p) => p.name).filter((n) => n !== 'large-generated');
  const engine = await LlamaBreakdownEngine.create({ modelPath, load: { contextSize: 8192, threads: 1 }, steer: (r) => cooperativeAnswer(r) }, runtime);
  let requirements = 0;
  let byModel = 0;
  let byFirstPass = 0;
  let requests = 0;
  const started = performance.now();
  for (const name of names) {
    const doc = page(name);
    const b = await engine.generate(doc);
    const s = engine.lastStats!;
    const reqs = doc.blocks.filter((x) => x.tags.length > 0).map((x) => x.id);
    const cited = new Set(flattenBreakdown(b).filter((f) => f.item.origin === 'model').flatMap((f) => f.item.sources));
    requirements += reqs.length;
    byModel += reqs.filter((id) => cited.has(id)).length;
    byFirstPass += reqs.length - s.coverage.uncoveredAfterFirstPass.length;
    requests += s.requests;
    if (computeCoverage(doc, b).ratio < 1 && s.coverage.noStoryNeeded.length === 0) console.log(`    ${name}: ${computeCoverage(doc, b).uncovered.length} requirement blocks uncovered`);
  }
  await engine.dispose();
  console.log(
    `(7) requirement blocks covered by model items, scripted cooperative model on ${names.length} corpus pages (8192-token context, default limits): ${byModel} of ${requirements} (${f1((100 * byModel) / requirements)}%); ` +
      `after the section pass alone ${f1((100 * byFirstPass) / requirements)}%; ${requests} requests, ${f1((performance.now() - started) / 1000)} s`,
  );
}
await runtime.dispose();
