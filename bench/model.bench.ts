// Model engine benchmark on the tiny random-weight Qwen 2.5 (CPU, 1 thread per sequence):
// (1) output/prompt token cost of the compact output form vs a plain verbose JSON form,
// (2) pipeline wall time ÷ the model's own prefill+decode time for the same tokens: every request
//     of the sequential run is replayed on a bare context sequence (same prefix kept, same number
//     of tokens evaluated and decoded, no grammar, no chat session),
// (3) sections on one sequence vs two parallel context sequences,
// (4) grammar cost: constrained vs unconstrained decoding, and growth with the citation enum size.
// Random weights fill every string to its limit and often pick grammar-invalid tokens, so decode
// speeds here are a worst case, not a forecast for a trained Qwen.

import { LlamaChatSession } from 'node-llama-cpp';
import type { LlamaContextSequence, LlamaGrammar, Token } from 'node-llama-cpp';
import type { Breakdown } from '../core/breakdown/schema.ts';
import { draftBreakdown } from '../core/drafter/index.ts';
import { parseSpec } from '../core/spec/index.ts';
import type { SpecDocument } from '../core/spec/types.ts';
import { LlamaBreakdownEngine } from '../core/model/llamaEngine.ts';
import type { RequestStats } from '../core/model/llamaEngine.ts';
import { LlamaRuntime } from '../core/model/runtime.ts';
import { clampLimits, sectionSchema } from '../core/model/outputSchema.ts';
import { sectionPrompt, systemPrompt } from '../core/model/prompts.ts';
import { loadCorpusPage } from '../test/corpus/index.ts';
import { tinyQwenPath } from '../test/support/tinyQwen.ts';

const f1 = (n: number): string => n.toFixed(1);
const f2 = (n: number): string => n.toFixed(2);
const page = (name: string): SpecDocument => {
  const { page: p, content } = loadCorpusPage(name);
  return parseSpec(content, { format: p.format });
};

const runtime = await LlamaRuntime.open({ gpu: false });
const modelPath = tinyQwenPath();
const limits = { epicsMax: 3, storiesMax: 3, subtasksMax: 2, titleMax: 40, descriptionMax: 60, criteriaMax: 2, criterionMax: 40, sourcesMax: 3 };
const pages = ['prd-checkout', 'user-stories-onboarding', 'tech-spec-export'];

// (1) Compact vs verbose forms of the same breakdown (the drafter's, so the text is realistic).
{
  const loaded = await runtime.load(modelPath, { contextSize: 4096, threads: 1 });
  const tok = (s: string): number => loaded.model.tokenize(s).length;
  let compactOut = 0;
  let verboseOut = 0;
  let items = 0;
  let compactPrompt = 0;
  let verbosePrompt = 0;
  const l = clampLimits(limits);
  for (const name of pages) {
    const doc = page(name);
    const b: Breakdown = draftBreakdown(doc);
    for (const e of b.epics) {
      for (const s of e.stories) {
        const section = doc.blocks.filter((x) => x.sectionId === doc.blocks.find((y) => s.sources.includes(y.id))?.sectionId);
        const alias = (id: string): string => `b${section.findIndex((x) => x.id === id) + 1}`;
        compactOut += tok(JSON.stringify({ src: s.sources.map(alias), epic: 1, title: s.title, desc: s.description, ac: s.acceptanceCriteria, priority: s.priority, points: s.estimate ?? 3, after: [], tasks: s.subtasks.map((t) => ({ src: [], title: t.title, hours: t.estimate ?? 2 })) }));
        verboseOut += tok(JSON.stringify(s, null, 2));
        items += 1 + s.subtasks.length;
      }
    }
    // Prompt per page: system prompt + each section's blocks; compact uses aliases, verbose full ids + the full JSON form.
    const sys = systemPrompt(doc.language, l);
    compactPrompt += tok(sys);
    verbosePrompt += tok(sys) + tok(JSON.stringify({ title: '', description: '', acceptanceCriteria: [''], estimate: null, priority: 'Medium', labels: [], components: [], dependsOn: [], sources: [''], notes: '', origin: 'model', subtasks: [] }));
    for (const sec of doc.sections) {
      const blocks = doc.blocks.filter((x) => x.sectionId === sec.id);
      if (!blocks.length) continue;
      compactPrompt += tok(sectionPrompt(sec.headingPath, blocks.map((block, i) => ({ alias: `b${i + 1}`, block })), b.epics.map((e) => e.title), 'section'));
      verbosePrompt += tok(JSON.stringify({ epics: b.epics.map((e) => ({ id: e.id, title: e.title })), section: sec.headingPath, blocks: blocks.map((x) => ({ id: x.id, kind: x.kind, text: x.text })) }, null, 2));
    }
  }
  console.log(`(1) output tokens per work item: compact ${f1(compactOut / items)} vs verbose JSON ${f1(verboseOut / items)} (verbose/compact ${f2(verboseOut / compactOut)}x, ${items} items)`);
  console.log(`    prompt tokens per page: compact ${f1(compactPrompt / pages.length)} vs verbose JSON ${f1(verbosePrompt / pages.length)} (verbose/compact ${f2(verbosePrompt / compactPrompt)}x, ${pages.length} pages)`);
  await runtime.unload();
}

// (2) and (3): the pipeline on real pages, sequential vs two parallel sequences.
const runs: Record<string, { wall: number; model: number; grammar: number; out: number; inTok: number; promptTok: number; requests: number }> = {};
/** Requests of each page's sequential run, for the replay of (2). */
const sequentialJobs: RequestStats[][] = [];
for (const parallel of [1, 2]) {
  const engine = await LlamaBreakdownEngine.create({ modelPath, load: { contextSize: 4096, threads: 1, sequences: parallel }, limits, parallelSections: parallel, seed: 3 }, runtime);
  const r = { wall: 0, model: 0, grammar: 0, out: 0, inTok: 0, promptTok: 0, requests: 0 };
  for (const name of pages) {
    await engine.generate(page(name));
    const s = engine.lastStats!;
    if (parallel === 1) sequentialJobs.push(s.perRequest);
    r.wall += s.wallMs;
    r.model += s.modelMs;
    r.grammar += s.grammarMs;
    r.out += s.outputTokens;
    r.inTok += s.evaluatedInputTokens;
    r.promptTok += s.promptTokens;
    r.requests += s.requests;
  }
  runs[parallel] = r;
  await engine.dispose();
}

/**
 * The model's own time for one job's tokens: each request keeps the prefix the pipeline reused,
 * evaluates as many prompt tokens and decodes as many tokens (greedy, end-of-generation tokens
 * included so the count is exact) as the pipeline did, on a bare sequence.
 */
async function replay(seq: LlamaContextSequence, requests: RequestStats[], filler: Token[]): Promise<{ ms: number; input: number; output: number }> {
  const r = { ms: 0, input: 0, output: 0 };
  await seq.clearHistory();
  let at = 0;
  const take = (n: number): Token[] => {
    const out: Token[] = [];
    while (out.length < n) {
      out.push(filler[at % filler.length]!);
      at++;
    }
    return out;
  };
  for (const q of requests) {
    const keep = Math.min(q.reusedTokens, seq.nextTokenIndex);
    if (seq.nextTokenIndex > keep) await seq.eraseContextTokenRanges([{ start: keep, end: seq.nextTokenIndex }]);
    // A prefix the pipeline had cached costs it nothing; build it here untimed.
    if (keep < q.reusedTokens) await seq.evaluateWithoutGeneratingNewTokens(take(q.reusedTokens - keep));
    const input = take(q.inputTokens);
    const started = performance.now();
    if (q.outputTokens === 0) {
      await seq.evaluateWithoutGeneratingNewTokens(input);
    } else {
      let n = 0;
      for await (const token of seq.evaluate(input, { temperature: 0, yieldEogToken: true })) {
        void token;
        if (++n >= q.outputTokens) break;
      }
      r.output += n;
    }
    r.ms += performance.now() - started;
    r.input += q.inputTokens;
  }
  return r;
}

{
  const loaded = await runtime.load(modelPath, { contextSize: 4096, threads: 1 });
  const seq = loaded.context.getSequence();
  const filler = [...loaded.model.tokenize(pages.map((n) => loadCorpusPage(n).content).join('\n'))];
  const raw = { ms: 0, input: 0, output: 0 };
  for (const job of sequentialJobs) {
    const r = await replay(seq, job, filler);
    raw.ms += r.ms;
    raw.input += r.input;
    raw.output += r.output;
  }
  await seq.dispose();
  await runtime.unload();
  const s = runs[1]!;
  console.log(
    `(2) pipeline wall ${f1(s.wall / 1000)} s ÷ the model's own prefill+decode of the same tokens ${f1(raw.ms / 1000)} s = ${f2(s.wall / raw.ms)} (goal ≤ 1.10). ` +
      `Split: wall ÷ time inside the model calls ${f2(s.wall / s.model)} (prompt building, parsing, coverage, drafting: ${f1(s.wall - s.model)} ms, of which grammar building ${f1(s.grammar)} ms); ` +
      `model calls ÷ bare model ${f2(s.model / raw.ms)} (grammar-constrained sampling and the chat session; the grammar part is the random-weights worst case of (4)). ` +
      `${s.requests} requests; ${raw.input} prompt tokens evaluated of ${s.promptTok} (${f1((100 * (s.promptTok - s.inTok)) / s.promptTok)}% reused from the cached prefix), ${s.out} tokens decoded (bare replay decoded ${raw.output})`,
  );
  const p = runs[2]!;
  console.log(`(3) sections sequential: ${f1((s.out * 1000) / s.wall)} tok/s (${f1(s.wall / 1000)} s); 2 parallel sequences: ${f1((p.out * 1000) / p.wall)} tok/s (${f1(p.wall / 1000)} s); throughput ratio parallel/sequential ${f2(p.out / p.wall / (s.out / s.wall))}x`);
}

// (4) Grammar cost.
{
  const loaded = await runtime.load(modelPath, { contextSize: 4096, threads: 1 });
  const seq = loaded.context.getSequence();
  const session = new LlamaChatSession({ contextSequence: seq, systemPrompt: 'Answer in JSON.' });
  const maxTokens = 300;
  const measure = async (grammar?: LlamaGrammar): Promise<{ tps: number; tokens: number }> => {
    session.resetChatHistory();
    const before = seq.tokenMeter.usedOutputTokens;
    const t = performance.now();
    await session.prompt('Write the stories for section 1.', { maxTokens, grammar, temperature: 0, seed: 1 });
    const tokens = seq.tokenMeter.usedOutputTokens - before;
    return { tps: (tokens * 1000) / (performance.now() - t), tokens };
  };
  const free = await measure();
  const big = clampLimits({ storiesMax: 10, subtasksMax: 3, titleMax: 60, descriptionMax: 200, criteriaMax: 3, criterionMax: 80, sourcesMax: 3 });
  const rows: string[] = [];
  for (const n of [10, 100, 1000]) {
    const aliases = Array.from({ length: n }, (_, i) => `b${i + 1}`);
    const tg = performance.now();
    const grammar = await runtime.llama.createGrammarForJsonSchema(sectionSchema(big, 3, aliases) as never);
    const buildMs = performance.now() - tg;
    const c = await measure(grammar);
    rows.push(`enum ${n}: ${f1(c.tps)} tok/s (${f2(c.tps / free.tps)}x of free, grammar built in ${f1(buildMs)} ms)`);
  }
  console.log(`(4) grammar cost, worst case for random weights: unconstrained ${f1(free.tps)} tok/s (${free.tokens} tokens); constrained ${rows.join('; ')}`);
  session.dispose();
}
await runtime.dispose();
