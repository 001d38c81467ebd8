// The generation pipeline, on any ModelClient (the embedded node-llama-cpp runtime or an
// OpenAI-compatible server): a short outline pass proposes the epics for the whole page; then each
// section (split into chunks that fit the context) gets one schema-constrained pass that writes its
// stories and sub-tasks, citing only block aliases that exist in that chunk. Requirement blocks
// left uncited get targeted coverage passes; what is still uncovered is drafted deterministically
// (origin 'drafter'). Every answer is parsed and checked at this boundary; nothing here imports a
// runtime.

import { LIMITS, parseBreakdown } from '../breakdown/schema.ts';
import type { Breakdown } from '../breakdown/schema.ts';
import { computeCoverage } from '../breakdown/coverage.ts';
import { draftItemsForBlocks } from '../drafter/index.ts';
import type { SpecDocument } from '../spec/types.ts';
import { assemble, resolveCitations } from './assemble.ts';
import type { DraftEpic } from './assemble.ts';
import { buildChunks, SKIPPED_KINDS } from './chunking.ts';
import type { Chunk } from './chunking.ts';
import type { CompletionRequest, CompletionResult, ModelClient, Sampling } from './modelClient.ts';
import { ModelError } from './modelStore.ts';
import { clampLimits, outlineSchema, sectionSchema, worstCaseTokens } from './outputSchema.ts';
import type { CompactOutline, CompactSection, OutputLimits } from './outputSchema.ts';
import { findInstructionLikeText, outlinePrompt, sectionPrompt, systemPrompt } from './prompts.ts';
import type { GenerateOptions, GenerationProgress } from './types.ts';

export interface PipelineConfig {
  /** Per-request output limits (clamped to the breakdown contract's LIMITS). */
  limits?: Partial<OutputLimits>;
  /** Output language; default: the page's own language (doc.language). */
  language?: string;
  /** Chunks generated at once (capped by the client's parallelism). */
  parallelSections?: number;
  /** Sampling for every request. */
  sampling?: Sampling;
  /** Default per-job timeout (ms) when the caller gives none. */
  timeoutMs?: number;
  /** Largest prompt per chunk in tokens; bigger sections are split. */
  chunkPromptTokens?: number;
}

/** One finished request to the model. */
export interface RequestStats {
  purpose: 'outline' | 'section' | 'coverage';
  /** Index of the slot (context sequence, or parallel request) that served it. */
  sequence: number;
  /** Prompt tokens already in the sequence from the request before (the system prompt prefix): not evaluated again. */
  reusedTokens: number;
  /** Prompt tokens evaluated for this request. */
  inputTokens: number;
  outputTokens: number;
  /** When the request started, in ms from the start of the job, and how long it took. */
  startMs: number;
  ms: number;
  stopReason: CompletionResult['stopReason'];
  /** The block aliases the grammar allowed this request to cite, and the citations the model wrote. */
  citable?: string[];
  cited?: string[];
}

/** Where one job's time went: for logs and the pipeline-overhead benchmark. */
export interface GenerationStats {
  wallMs: number;
  /**
   * Time in which at least one request was inside a model call (prefill + constrained decode).
   * With parallel requests this is the union of their busy time, so it never exceeds wallMs.
   */
  modelMs: number;
  /** Time spent building JSON-schema grammars (inside the model calls). */
  grammarMs: number;
  /** Prompt tokens of all requests, system prompt included. */
  promptTokens: number;
  /** Prompt tokens actually evaluated (fewer: the system prompt prefix is reused). */
  evaluatedInputTokens: number;
  /** Tokens decoded, including those of a request stopped by a cancel or timeout. */
  outputTokens: number;
  requests: number;
  /** Requests the job ran at once. */
  sequences: number;
  /** Tokens of the system prompt text alone (without the chat template around it). */
  systemPromptTokens: number;
  perRequest: RequestStats[];
  /** Citations the model wrote, and those that named no block of their chunk (dropped and warned about). */
  citations: { written: number; dropped: string[] };
  /**
   * Requirement blocks by who covered them: the section pass, the targeted second pass, or the
   * drafter (flagged for the reviewer).
   */
  coverage: { requirementBlocks: number; uncoveredAfterFirstPass: string[]; coveredBySecondPass: string[]; drafted: string[] };
}

/** Tokens the chat template adds around the system prompt and each user turn. */
const TEMPLATE_TOKENS = 16;
/** Tokens kept free between prompt and answer for the template's own turn markers. */
const ANSWER_MARGIN = 48;

export function formatTimeout(timeoutMs: number): string {
  return timeoutMs >= 120_000 ? `${Math.round(timeoutMs / 60_000)} min` : `${(timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0)} s`;
}

/** One generation job on one client; `stats()` can be read whether the job finished or failed. */
export class PipelineJob {
  private readonly startedAt = performance.now();
  private readonly perRequest: RequestStats[] = [];
  private readonly droppedCitations: string[] = [];
  private readonly warnings: string[] = [];
  private readonly coverage: GenerationStats['coverage'] = { requirementBlocks: 0, uncoveredAfterFirstPass: [], coveredBySecondPass: [], drafted: [] };
  private readonly limits: OutputLimits;
  private readonly language: string;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal;
  private readonly sys: string;
  private systemPromptTokens = 0;
  private sysTokens = 0;
  private grammarMs = 0;
  private promptTokens = 0;
  private evaluatedInputTokens = 0;
  private outputTokens = 0;
  /** Tokens streamed so far (progress), union of busy time and the start of the current stretch. */
  tokens = 0;
  private decodeMs = 0;
  private active = 0;
  private busySince = 0;
  private workers = 1;

  constructor(
    private readonly client: ModelClient,
    private readonly doc: SpecDocument,
    private readonly options: GenerateOptions,
    private readonly config: PipelineConfig,
    /** Called whenever tokens arrive, with the job's tokens per second of model time so far. */
    private readonly onRate: (tokensPerSecond: number) => void = () => undefined,
  ) {
    this.timeoutMs = options.timeoutMs ?? config.timeoutMs ?? 30 * 60_000;
    this.signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(options.signal ? [options.signal] : [])]);
    this.limits = clampLimits(config.limits);
    this.language = options.language ?? config.language ?? doc.language;
    this.sys = systemPrompt(this.language, this.limits);
  }

  private progress(p: Omit<GenerationProgress, 'tokens'>): void {
    this.options.onProgress?.({ ...p, tokens: this.tokens });
  }

  /** Busy time so far, counting the stretch in progress. */
  private busyMs(now = performance.now()): number {
    return this.decodeMs + (this.active > 0 ? now - this.busySince : 0);
  }

  stats(): GenerationStats {
    return {
      wallMs: performance.now() - this.startedAt,
      modelMs: this.busyMs(),
      grammarMs: this.grammarMs,
      promptTokens: this.promptTokens,
      evaluatedInputTokens: this.evaluatedInputTokens,
      outputTokens: this.outputTokens,
      requests: this.perRequest.length,
      sequences: this.workers,
      systemPromptTokens: this.systemPromptTokens,
      perRequest: this.perRequest,
      citations: { written: this.perRequest.reduce((n, r) => n + (r.cited?.length ?? 0), 0), dropped: this.droppedCitations },
      coverage: this.coverage,
    };
  }

  async run(): Promise<Breakdown> {
    const { doc, client } = this;
    const model = client.model;
    try {
      for (const hit of findInstructionLikeText(doc)) {
        this.warnings.push(`Block ${hit.blockId} contains text that reads like an instruction to the model ("${hit.excerpt}"). It was treated as page content and the limits still applied; check the items from that section.`);
      }
      this.workers = Math.max(1, Math.min(this.config.parallelSections ?? 1, client.parallelism));
      this.systemPromptTokens = await client.countTokens(this.sys);
      this.sysTokens = this.systemPromptTokens + TEMPLATE_TOKENS;

      // 1. Outline: the epics.
      this.progress({ phase: 'outline', section: 0, sections: 0 });
      const epics = await this.outline();

      // 2. Sections.
      const chunks = await this.chunks(doc.blocks.filter((b) => !SKIPPED_KINDS.has(b.kind)).map((b) => b.id));
      await this.runChunks(chunks, epics, 'section');

      // 3. Coverage: a targeted pass over uncited requirements, then the drafter for what remains.
      let breakdown = assemble(doc, epics, this.language, model, this.warnings);
      const first = computeCoverage(doc, breakdown);
      this.coverage.requirementBlocks = first.requirementBlocks;
      this.coverage.uncoveredAfterFirstPass = first.uncovered;
      let uncovered = first.uncovered;
      if (uncovered.length > 0) {
        const gapChunks = await this.chunks(uncovered);
        await this.runChunks(gapChunks, epics, 'coverage');
        breakdown = assemble(doc, epics, this.language, model, this.warnings);
        uncovered = computeCoverage(doc, breakdown).uncovered;
        const still = new Set(uncovered);
        this.coverage.coveredBySecondPass = first.uncovered.filter((id) => !still.has(id));
      }
      if (this.droppedCitations.length > 0) {
        breakdown.warnings.push(`The model cited ${this.droppedCitations.length} block reference(s) that do not exist in their section (${[...new Set(this.droppedCitations)].slice(0, 10).join(', ')}); those citations were dropped. Check the sources of the generated items.`);
      }
      if (uncovered.length > 0) {
        this.coverage.drafted = uncovered;
        breakdown = draftItemsForBlocks(doc, uncovered, breakdown);
        breakdown.generator = {
          kind: 'mixed',
          model,
          note: `Written by ${model}; ${uncovered.length} requirement block(s) the model left uncovered were drafted from the page structure (origin "drafter") — review those items.`,
        };
        breakdown.warnings.push(`The model did not cover ${uncovered.length} requirement block(s) even in a second pass (${uncovered.slice(0, 20).join(', ')}${uncovered.length > 20 ? ', …' : ''}); their items were drafted from the page structure (origin "drafter") — review them.`);
      }
      this.signal.throwIfAborted();
      this.progress({ phase: 'done', section: chunks.length, sections: chunks.length });
      return parseBreakdown(breakdown);
    } catch (err) {
      if (this.signal.aborted) {
        if (this.options.signal?.aborted) throw new ModelError('cancelled', 'Generation cancelled.');
        throw new ModelError('timed_out', `Generation stopped: it took longer than the ${formatTimeout(this.timeoutMs)} limit for one job. Raise the generation time limit in Settings or choose a smaller model.`);
      }
      throw err;
    }
  }

  /** One request: the answer's JSON value (undefined when it did not parse) and its figures. */
  private async ask(text: string, schema: Record<string, unknown>, purpose: RequestStats['purpose']): Promise<{ value: unknown; result: CompletionResult; request: RequestStats }> {
    this.signal.throwIfAborted();
    const textTokens = await this.client.countTokens(text);
    const room = this.client.contextSize() - this.sysTokens - textTokens - ANSWER_MARGIN;
    const maxTokens = Math.max(16, Math.min(worstCaseTokens(schema), room));
    const request: CompletionRequest = {
      messages: [
        { role: 'system', content: this.sys },
        { role: 'user', content: text },
      ],
      schema,
      maxTokens,
      signal: this.signal,
      ...(this.config.sampling ? { sampling: this.config.sampling } : {}),
      purpose,
      onTokens: (n) => {
        this.tokens += n;
        const ms = this.busyMs();
        if (ms > 0) this.onRate((this.tokens * 1000) / ms);
      },
    };
    const started = performance.now();
    if (this.active++ === 0) this.busySince = started;
    let result: CompletionResult;
    try {
      result = await this.client.complete(request);
    } finally {
      const ended = performance.now();
      if (--this.active === 0) this.decodeMs += ended - this.busySince;
    }
    const reusedTokens = result.reusedTokens ?? 0;
    this.grammarMs += result.grammarMs ?? 0;
    this.evaluatedInputTokens += result.tokensIn - reusedTokens;
    this.outputTokens += result.tokensOut;
    // The runtime may finish the answer it was evaluating when the signal fired; never let a
    // cancelled or timed-out job go on to the next step.
    this.signal.throwIfAborted();
    this.promptTokens += result.tokensIn;
    const stats: RequestStats = {
      purpose,
      sequence: result.slot ?? 0,
      reusedTokens,
      inputTokens: result.tokensIn - reusedTokens,
      outputTokens: result.tokensOut,
      startMs: started - this.startedAt,
      ms: performance.now() - started,
      stopReason: result.stopReason,
    };
    this.perRequest.push(stats);
    let value: unknown;
    try {
      value = JSON.parse(result.text);
    } catch {
      value = undefined;
    }
    return { value, result, request: stats };
  }

  private async outline(): Promise<DraftEpic[]> {
    const schema = outlineSchema(this.limits);
    const out = (await this.ask(outlinePrompt(this.doc), schema, 'outline')).value as CompactOutline | undefined;
    const epics = (out?.e ?? [])
      .map((e) => ({ title: e.t.trim(), description: e.d.trim(), stories: [] }))
      .filter((e) => e.title.length > 0);
    if (epics.length > 0) return epics;
    this.warnings.push('The model proposed no usable epics; one epic named after the page holds its stories.');
    return [{ title: this.doc.title || 'Specification', description: '', stories: [] }];
  }

  private async chunks(blockIds: string[]): Promise<Chunk[]> {
    // Room for the prompt: what the context leaves after the system prompt and a one-story answer.
    // runChunks lowers the story count of a request until its worst-case answer fits, so reserving
    // for the full limits here would only shrink every chunk (to one block each on an 8k context).
    const answer = worstCaseTokens(sectionSchema({ ...this.limits, storiesMax: 1 }, this.limits.epicsMax, ['b100']));
    const budget = Math.max(64, Math.min(this.config.chunkPromptTokens ?? 2048, this.client.contextSize() - this.systemPromptTokens - answer - 300));
    return buildChunks(this.doc, blockIds, { promptTokens: budget, maxBlocks: 40, maxRequirements: 40 }, (t) => this.client.countTokens(t), this.warnings);
  }

  private async runChunks(chunks: Chunk[], epics: DraftEpic[], purpose: 'section' | 'coverage'): Promise<void> {
    let next = 0;
    let done = 0;
    const epicTitles = epics.map((e) => e.title);
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        this.signal.throwIfAborted();
        const aliases = chunk.blocks.map((b) => b.alias);
        const text = sectionPrompt(chunk.headingPath, chunk.blocks, epicTitles, purpose);
        // Shrink this request's story count until its worst-case answer fits the context left.
        const room = this.client.contextSize() - this.sysTokens - (await this.client.countTokens(text)) - ANSWER_MARGIN;
        const fitted = { ...this.limits };
        const schemaFor = (l: OutputLimits) => sectionSchema(l, epics.length, aliases, { minStories: purpose === 'coverage' ? 1 : 0 });
        while (worstCaseTokens(schemaFor(fitted)) > room && fitted.storiesMax > 1) fitted.storiesMax--;
        while (worstCaseTokens(schemaFor(fitted)) > room && fitted.subtasksMax > 0) fitted.subtasksMax--;
        const { value, request } = await this.ask(text, schemaFor(fitted), purpose);
        const out = value as CompactSection | undefined;
        request.citable = aliases;
        request.cited = out?.s.flatMap((story) => story.src) ?? [];
        done++;
        this.progress({ phase: purpose === 'coverage' ? 'coverage' : 'sections', section: done, sections: chunks.length });
        if (!out) {
          this.warnings.push(`The model's answer for "${chunk.headingPath.join(' > ')}" was cut off or not valid JSON; its requirements went to the coverage pass.`);
          continue;
        }
        const epic = epics[Math.min(Math.max(out.ep, 1), epics.length) - 1]!;
        const byAlias = new Map(chunk.blocks.map((b) => [b.alias, b.block.id]));
        for (const story of out.s) {
          const { sources, dropped } = resolveCitations(story.src, byAlias);
          this.droppedCitations.push(...dropped);
          if (epic.stories.length >= LIMITS.storiesPerEpicMax) {
            this.warnings.push(`Epic "${epic.title}" reached ${LIMITS.storiesPerEpicMax} stories; further stories for it were dropped.`);
            break;
          }
          epic.stories.push({ story, sources });
        }
      }
    };
    await Promise.all(Array.from({ length: this.workers }, () => worker()));
  }
}
