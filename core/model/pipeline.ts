// The generation pipeline, on any ModelClient (the embedded node-llama-cpp runtime or an
// OpenAI-compatible server): a short outline pass proposes the epics for the whole page; then each
// section (split into chunks that fit the context) gets one schema-constrained pass that writes its
// stories and sub-tasks, citing only block aliases that exist in that chunk. Requirement blocks
// left uncited get targeted coverage passes; what is still uncovered is drafted deterministically
// (origin 'drafter'). Every answer is parsed and checked at this boundary; nothing here imports a
// runtime. An answer that breaks the requested schema (only a runtime without a grammar can send
// one) takes the same re-ask as an answer the checks refuse; a second such answer fails the job.

import { LIMITS, parseBreakdown } from '../breakdown/schema.ts';
import type { Breakdown } from '../breakdown/schema.ts';
import { computeCoverage } from '../breakdown/coverage.ts';
import { sharedDrafterThread } from '../drafter/draftOffThread.ts';
import type { SpecDocument } from '../spec/types.ts';
import { assemble, resolveCitations } from './assemble.ts';
import type { DraftEpic, DraftStory } from './assemble.ts';
import { completeStoriesOfPrefix, describeIssue, findDegenerate, OutlineAnswer, sectionAnswer, wrongLanguage } from './answers.ts';
import type { SectionAnswer } from './answers.ts';
import { buildChunks, SKIPPED_KINDS } from './chunking.ts';
import type { Chunk } from './chunking.ts';
import { mergeDuplicateStories } from './duplicateStories.ts';
import { breaksSchema } from './modelClient.ts';
import type { CompletionRequest, CompletionResult, ModelClient, Sampling } from './modelClient.ts';
import { ModelError } from './modelStore.ts';
import { BUDGET_CHARS_PER_TOKEN, budgetTokens, clampLimits, outlineSchema, sectionSchema, worstCaseTokens } from './outputSchema.ts';
import type { OutputLimits } from './outputSchema.ts';
import { findInstructionLikeText, languageName, outlinePrompt, sectionPrompt, systemPrompt } from './prompts.ts';
import type { SectionPurpose } from './prompts.ts';
import type { GenerateOptions, GenerationProgress } from './types.ts';

export interface PipelineConfig {
  /** Per-request output limits (clamped to the breakdown contract's LIMITS). */
  limits?: Partial<OutputLimits>;
  /** Output language; default: the page's own language (doc.language). */
  language?: string;
  /** Chunks generated at once (default and cap: the client's parallelism). */
  parallelSections?: number;
  /** Sampling for every request. */
  sampling?: Sampling;
  /** Default per-job timeout (ms) when the caller gives none. */
  timeoutMs?: number;
  /** Largest prompt per chunk in tokens; bigger sections are split. */
  chunkPromptTokens?: number;
  /** Most tokens one answer may take (default: what the context leaves); longer answers are cut off and recovered. */
  maxAnswerTokens?: number;
  /** Characters per token the answer budget assumes (default BUDGET_CHARS_PER_TOKEN, measured). */
  budgetCharsPerToken?: number;
  /** Coverage passes over requirements still uncited (default 3; each pass only runs while the last one covered something). */
  coveragePasses?: number;
}

/** Sampling defaults for a trained Qwen 2.5 (see docs/models.md for the reasons). */
export const DEFAULT_SAMPLING = { temperature: 0.2, topK: 40, topP: 0.9, seed: 42, repeatPenalty: 1.05 } as const satisfies Sampling;
/** The repeat penalty of a retry after a looping answer. */
export const LOOP_RETRY_REPEAT_PENALTY = 1.2;

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
  /** Which coverage pass sent it (1-based), for coverage requests. */
  pass?: number;
  /** Why this request was sent again, when it is a retry or a follow-up. */
  retry?: 'invalid' | 'loop' | 'language' | 'rest-after-cut-off';
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
  coverage: {
    requirementBlocks: number;
    uncoveredAfterFirstPass: string[];
    /** Covered by any of the coverage passes. */
    coveredBySecondPass: string[];
    drafted: string[];
    /** Coverage passes run. */
    passes: number;
    /** Blocks the model said need no story, with its reason (shown to the reviewer, not drafted). */
    noStoryNeeded: { blockId: string; why: string }[];
  };
  /** What the checks of the answers found and did. */
  answers: { cutOff: number; storiesRecovered: number; invalid: number; looping: number; wrongLanguage: number; retries: number; merged: number };
}

/** Tokens the chat template adds around the system prompt and each user turn. */
const TEMPLATE_TOKENS = 16;
/** Tokens kept free between prompt and answer for the template's own turn markers. */
const ANSWER_MARGIN = 48;

export function formatTimeout(timeoutMs: number): string {
  return timeoutMs >= 120_000 ? `${Math.round(timeoutMs / 60_000)} min` : `${(timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0)} s`;
}

/** One generation job on one client; `stats()` can be read whether the job finished or failed. */
/**
 * The model's answers to one request broke the requested JSON schema even when it was asked again
 * with the problems named: the runtime does not constrain its output, so the job stops with the
 * runtime's own explanation (`cause`) instead of drafting the whole page around it.
 */
export class SchemaBrokenAgainError extends Error {
  readonly code = 'bad_answer';
  constructor(message: string, options: { cause: Error }) {
    super(message, options);
    this.name = 'SchemaBrokenAgainError';
  }
}

export class PipelineJob {
  private readonly startedAt = performance.now();
  private readonly perRequest: RequestStats[] = [];
  private readonly droppedCitations: string[] = [];
  private readonly warnings: string[] = [];
  private readonly coverage: GenerationStats['coverage'] = { requirementBlocks: 0, uncoveredAfterFirstPass: [], coveredBySecondPass: [], drafted: [], passes: 0, noStoryNeeded: [] };
  private readonly answers: GenerationStats['answers'] = { cutOff: 0, storiesRecovered: 0, invalid: 0, looping: 0, wrongLanguage: 0, retries: 0, merged: 0 };
  private readonly noStory = new Map<string, string>();
  private chunkCount = 0;
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
      answers: this.answers,
    };
  }

  async run(): Promise<Breakdown> {
    const { doc, client } = this;
    const model = client.model;
    try {
      for (const hit of findInstructionLikeText(doc)) {
        this.warnings.push(`Block ${hit.blockId} contains text that reads like an instruction to the model ("${hit.excerpt}"). It was treated as page content and the limits still applied; check the items from that section.`);
      }
      this.workers = Math.max(1, Math.min(this.config.parallelSections ?? client.parallelism, client.parallelism));
      this.systemPromptTokens = await client.countTokens(this.sys);
      this.sysTokens = this.systemPromptTokens + TEMPLATE_TOKENS;

      // 1. Outline: the epics.
      this.progress({ phase: 'outline', section: 0, sections: 0 });
      const epics = await this.outline();

      // 2. Sections.
      const chunks = await this.chunks(doc.blocks.filter((b) => !SKIPPED_KINDS.has(b.kind)).map((b) => b.id), epics.length);
      await this.runChunks(chunks, epics, 'section');

      // 3. Coverage: targeted passes over uncited requirements (bounded, and only while they make
      // progress), then the drafter for what remains. Blocks the model says need no story are shown
      // to the reviewer with its reason instead of being drafted.
      let breakdown = assemble(doc, epics, this.language, model, this.warnings);
      const first = computeCoverage(doc, breakdown);
      this.coverage.requirementBlocks = first.requirementBlocks;
      this.coverage.uncoveredAfterFirstPass = first.uncovered;
      const open = (ids: string[]): string[] => ids.filter((id) => !this.noStory.has(id));
      let uncovered = open(first.uncovered);
      const passes = Math.max(0, Math.floor(this.config.coveragePasses ?? 3));
      while (uncovered.length > 0 && this.coverage.passes < passes) {
        this.coverage.passes++;
        await this.runChunks(await this.chunks(uncovered, epics.length), epics, 'coverage');
        breakdown = assemble(doc, epics, this.language, model, this.warnings);
        const left = open(computeCoverage(doc, breakdown).uncovered);
        const progress = left.length < uncovered.length;
        uncovered = left;
        if (!progress) break;
      }
      if (this.coverage.passes > 0) {
        // Covered by a story of a coverage pass (a block the model also listed as needing no story counts as covered).
        const still = new Set(computeCoverage(doc, breakdown).uncovered);
        this.coverage.coveredBySecondPass = first.uncovered.filter((id) => !still.has(id));
      }
      // Stories from different chunks that are the same work: merged, or flagged for the reviewer.
      const merged = mergeDuplicateStories(epics);
      this.answers.merged = merged.merged;
      if (merged.merged > 0 || merged.flagged > 0) {
        breakdown = assemble(doc, epics, this.language, model, this.warnings);
        if (merged.merged > 0) this.warnings.push(`${merged.merged} stor${merged.merged === 1 ? 'y' : 'ies'} written twice for different parts of the page (same blocks or the same title) were merged; their notes say with what.`);
        if (merged.flagged > 0) breakdown.warnings.push(`${merged.flagged} stor${merged.flagged === 1 ? 'y has' : 'ies have'} a near-identical title to a story from another part of the page; their notes name it — check whether they are the same work.`);
      }
      for (const [blockId, why] of this.noStory) {
        if (!computeCoverage(doc, breakdown).uncovered.includes(blockId)) continue;
        this.coverage.noStoryNeeded.push({ blockId, why });
        breakdown.warnings.push(`Block ${blockId}: the model found that it needs no story ("${why}"). Check it, and add an item by hand if it does.`);
      }
      if (this.droppedCitations.length > 0) {
        breakdown.warnings.push(`The model cited ${this.droppedCitations.length} block reference(s) that do not exist in their section (${[...new Set(this.droppedCitations)].slice(0, 10).join(', ')}); those citations were dropped. Check the sources of the generated items.`);
      }
      if (uncovered.length > 0) {
        this.coverage.drafted = uncovered;
        // On the drafter thread: a page with thousands of uncovered blocks must not pause the event loop.
        breakdown = await sharedDrafterThread().draftItemsForBlocks(doc, uncovered, breakdown);
        breakdown.generator = {
          kind: 'mixed',
          model,
          note: `Written by ${model}; ${uncovered.length} requirement block(s) the model left uncovered were drafted from the page structure (origin "drafter") — review those items.`,
        };
        breakdown.warnings.push(`The model did not cover ${uncovered.length} requirement block(s) even in ${this.coverage.passes} coverage pass(es) (${uncovered.slice(0, 20).join(', ')}${uncovered.length > 20 ? ', …' : ''}); their items were drafted from the page structure (origin "drafter") — review them.`);
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
  private async ask(
    text: string,
    schema: Record<string, unknown>,
    purpose: RequestStats['purpose'],
    options: { sampling?: Sampling; retry?: RequestStats['retry'] } = {},
  ): Promise<{ value: unknown; result: CompletionResult; request: RequestStats; broken?: Error & { schemaProblems: readonly string[] } }> {
    this.signal.throwIfAborted();
    const textTokens = await this.client.countTokens(text);
    const room = this.client.contextSize() - this.sysTokens - textTokens - ANSWER_MARGIN;
    const maxTokens = Math.max(16, Math.min(worstCaseTokens(schema), room, this.config.maxAnswerTokens ?? Infinity));
    const sampling = options.sampling ?? this.config.sampling;
    const request: CompletionRequest = {
      messages: [
        { role: 'system', content: this.sys },
        { role: 'user', content: text },
      ],
      schema,
      maxTokens,
      signal: this.signal,
      ...(sampling ? { sampling } : {}),
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
    let broken: (Error & { schemaProblems: readonly string[] }) | undefined;
    try {
      result = await this.client.complete(request);
    } catch (err) {
      // A complete answer that breaks the schema is an answer to check and send back, not a failure yet.
      if (!breaksSchema(err) || this.signal.aborted) throw err;
      broken = err;
      result = { text: '', stopReason: 'stop', tokensIn: 0, tokensOut: 0, ms: performance.now() - started };
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
      ...(options.retry ? { retry: options.retry } : {}),
    };
    this.perRequest.push(stats);
    let value: unknown;
    try {
      value = broken ? undefined : JSON.parse(result.text);
    } catch {
      value = undefined;
    }
    return { value, result, request: stats, ...(broken ? { broken } : {}) };
  }

  /** The job stops: a second answer to the same request broke the schema too. */
  private brokenAgain(err: Error & { schemaProblems: readonly string[] }, what: string): SchemaBrokenAgainError {
    return new SchemaBrokenAgainError(`${err.message} The ${what} was asked again with the problems named and the answer broke the schema again, so the job stopped.`, { cause: err });
  }

  private static schemaNote(problems: readonly string[]): string {
    return `it did not follow the requested JSON schema (${problems.slice(0, 3).join('; ')})`;
  }

  private async outline(): Promise<DraftEpic[]> {
    const schema = outlineSchema(this.limits);
    let { value, broken } = await this.ask(outlinePrompt(this.doc), schema, 'outline');
    if (broken) {
      this.answers.invalid++;
      this.answers.retries++;
      const again = await this.ask(
        `${outlinePrompt(this.doc)}\n\nYour previous answer could not be used: ${PipelineJob.schemaNote(broken.schemaProblems)}. Answer again with JSON exactly in the requested shape.`,
        schema,
        'outline',
        { retry: 'invalid' },
      );
      if (again.broken) throw this.brokenAgain(again.broken, 'outline request');
      ({ value, broken } = again);
    }
    const parsed = OutlineAnswer.safeParse(value);
    const epics = parsed.success ? parsed.data.epics.map((e) => ({ title: e.title, description: e.summary, stories: [] as DraftStory[] })) : [];
    if (epics.length > 0) return epics.slice(0, this.limits.epicsMax);
    this.warnings.push(`The model proposed no usable epics (${parsed.success ? 'none' : describeIssue(parsed.error)}); one epic named after the page holds its stories.`);
    return [{ title: this.doc.title || 'Specification', description: '', stories: [] }];
  }

  /** Stories per answer that the answer budget lets a request with a full-size prompt ask for. */
  storiesAllowed(limits: OutputLimits, epicCount: number, promptTokens: number, aliases: readonly string[]): number {
    const room = this.client.contextSize() - this.sysTokens - promptTokens - ANSWER_MARGIN;
    const cap = Math.min(room, this.config.maxAnswerTokens ?? Infinity);
    const perToken = this.config.budgetCharsPerToken ?? BUDGET_CHARS_PER_TOKEN;
    let n = limits.storiesMax;
    while (n > 1 && budgetTokens(sectionSchema({ ...limits, storiesMax: n }, epicCount, aliases), perToken) > cap) n--;
    return n;
  }

  private async chunks(blockIds: string[], epicCount: number): Promise<Chunk[]> {
    // Room for the prompt: what the context leaves after the system prompt and a one-story answer.
    // Each request then asks for as many stories as its answer budget allows; a chunk holds no more
    // requirement blocks than those stories can cite (a story typically covers one or two).
    const perToken = this.config.budgetCharsPerToken ?? BUDGET_CHARS_PER_TOKEN;
    const answer = budgetTokens(sectionSchema({ ...this.limits, storiesMax: 1 }, epicCount, ['b100']), perToken);
    const budget = Math.max(64, Math.min(this.config.chunkPromptTokens ?? 2048, this.client.contextSize() - this.sysTokens - answer - 300));
    const stories = this.storiesAllowed(this.limits, epicCount, budget, Array.from({ length: 40 }, (_, i) => `b${i + 1}`));
    const maxRequirements = Math.max(1, stories * Math.min(2, this.limits.sourcesMax));
    return buildChunks(this.doc, blockIds, { promptTokens: budget, maxBlocks: 40, maxRequirements }, (t) => this.client.countTokens(t), this.warnings);
  }

  private async runChunks(chunks: Chunk[], epics: DraftEpic[], purpose: SectionPurpose): Promise<void> {
    let next = 0;
    let done = 0;
    // Once one request fails the job (an unusable server, a schema broken twice), the others take no new chunk.
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < chunks.length) {
        const chunk = chunks[next++]!;
        this.signal.throwIfAborted();
        try {
          await this.answerChunk(chunk, epics, purpose, this.chunkCount++, false);
        } catch (err) {
          failed = true;
          throw err;
        }
        done++;
        this.progress({ phase: purpose === 'coverage' ? 'coverage' : 'sections', section: done, sections: chunks.length });
      }
    };
    await Promise.all(Array.from({ length: this.workers }, () => worker()));
  }

  /**
   * One chunk: ask, check, and send back at most once for each kind of problem — an unusable answer
   * (stricter prompt), a looping one (repeat penalty) and one in the wrong language (instruction
   * repeated). A cut-off answer keeps its complete stories and asks once more for the requirements
   * they left uncited.
   */
  private async answerChunk(chunk: Chunk, epics: DraftEpic[], purpose: SectionPurpose, chunkIndex: number, isRest: boolean): Promise<void> {
    const aliases = chunk.blocks.map((b) => b.alias);
    const where = chunk.headingPath.join(' > ') || '(top)';
    const requirementAliases = chunk.blocks.filter((b) => b.block.tags.length > 0).map((b) => b.alias);
    const baseText = sectionPrompt(chunk.headingPath, chunk.blocks, epics.map((e) => e.title), purpose);
    const fitted = { ...this.limits, storiesMax: this.storiesAllowed(this.limits, epics.length, await this.client.countTokens(baseText), aliases) };
    const room = this.client.contextSize() - this.sysTokens - (await this.client.countTokens(baseText)) - ANSWER_MARGIN;
    const options = { minStories: purpose === 'coverage' ? 1 : 0, allowNoStory: purpose === 'coverage' };
    // Below one story's worst case nothing useful fits: drop sub-tasks before giving up on room.
    while (budgetTokens(sectionSchema(fitted, epics.length, aliases, options), this.config.budgetCharsPerToken ?? BUDGET_CHARS_PER_TOKEN) > room && fitted.subtasksMax > 0) fitted.subtasksMax--;
    const schema = sectionSchema(fitted, epics.length, aliases, options);
    const check = sectionAnswer(aliases, epics.length);

    let extra: string[] = [];
    let sampling = this.config.sampling;
    let retry: RequestStats['retry'] = isRest ? 'rest-after-cut-off' : undefined;
    const tried = { invalid: false, loop: false, language: false };
    let accepted: SectionAnswer | undefined;
    let cutOff = false;
    for (let attempt = 0; attempt < 4 && !accepted; attempt++) {
      const { value, result, request, broken } = await this.ask(sectionPrompt(chunk.headingPath, chunk.blocks, epics.map((e) => e.title), purpose, extra), schema, purpose, { ...(sampling ? { sampling } : {}), ...(retry ? { retry } : {}) });
      request.citable = aliases;
      if (purpose === 'coverage') request.pass = this.coverage.passes;
      if (retry && retry !== 'rest-after-cut-off') this.answers.retries++;
      if (result.stopReason === 'maxTokens') {
        // The grammar makes the text a valid prefix: keep every story that closed and is valid.
        cutOff = true;
        this.answers.cutOff++;
        const story = check.shape.stories.element;
        const kept = completeStoriesOfPrefix(result.text).flatMap((s) => {
          const p = story.safeParse(s);
          return p.success ? [p.data] : [];
        });
        this.answers.storiesRecovered += kept.length;
        accepted = { stories: kept };
        request.cited = kept.flatMap((s) => s.src);
        break;
      }
      const parsed = check.safeParse(value);
      const problem = broken
        ? PipelineJob.schemaNote(broken.schemaProblems)
        : !parsed.success
          ? describeIssue(parsed.error)
          : parsed.data.stories.length === 0 && requirementAliases.length > 0 && (parsed.data.noStory ?? []).length === 0
            ? 'no stories were written for a part of the page with requirements'
            : undefined;
      if (problem || !parsed.success) {
        this.answers.invalid++;
        request.cited = [];
        if (!tried.invalid) {
          tried.invalid = true;
          retry = 'invalid';
          extra = [`Your previous answer could not be used: ${problem}. Answer again with JSON exactly in the requested shape, with at least one story that cites the requirement blocks in src.`];
          continue;
        }
        if (broken) throw this.brokenAgain(broken, `${purpose} request for "${where}"`);
        this.warnings.push(`The model's answer for "${where}" could not be used, even when asked again (${problem}); its requirements went to the coverage pass, and what stays uncovered is drafted.`);
        return;
      }
      request.cited = parsed.data.stories.flatMap((s) => s.src);
      const loop = findDegenerate(parsed.data.stories);
      if (loop) {
        this.answers.looping++;
        if (!tried.loop) {
          tried.loop = true;
          retry = 'loop';
          const base = { ...DEFAULT_SAMPLING, ...this.config.sampling };
          sampling = { ...base, repeatPenalty: Math.max(LOOP_RETRY_REPEAT_PENALTY, base.repeatPenalty ?? 1), temperature: Math.max(0.3, base.temperature ?? 0) };
          continue;
        }
        this.warnings.push(`The model's answer for "${where}" repeats itself (${loop}), even when asked again with a repetition penalty; check those stories.`);
      }
      const lang = wrongLanguage(parsed.data.stories, this.language);
      if (lang) {
        this.answers.wrongLanguage++;
        if (!tried.language) {
          tried.language = true;
          retry = 'language';
          extra = [...extra, `Write every title, description, criterion and sub-task in ${languageName(this.language)}, not in ${languageName(lang)}.`];
          continue;
        }
        this.warnings.push(`The model wrote the stories for "${where}" in ${languageName(lang)} instead of ${languageName(this.language)}, even when asked again; check their language.`);
      }
      accepted = parsed.data;
    }
    if (!accepted) return;
    this.take(chunk, accepted, epics, chunkIndex);

    if (cutOff) {
      const cited = new Set(accepted.stories.flatMap((s) => s.src));
      const rest = chunk.blocks.filter((b) => b.block.tags.length > 0 && !cited.has(b.alias));
      if (rest.length > 0 && !isRest) {
        // Ask once more, for the requirements the kept stories left uncited (a smaller request).
        const sub: Chunk = { ...chunk, blocks: rest.map((b, i) => ({ ...b, alias: `b${i + 1}` })) };
        await this.answerChunk(sub, epics, purpose, chunkIndex, true);
      } else if (rest.length > 0) {
        this.warnings.push(`The model's answer for "${where}" was cut off at its token limit twice; ${rest.length} of its requirements went to the coverage pass.`);
      }
    }
  }

  /** Adds a checked answer's stories to their epics, with citations, sub-task citations and dependencies resolved. */
  private take(chunk: Chunk, answer: SectionAnswer, epics: DraftEpic[], chunkIndex: number): void {
    const byAlias = new Map(chunk.blocks.map((b) => [b.alias, b.block.id]));
    for (const n of answer.noStory ?? []) {
      const id = byAlias.get(n.block);
      if (id && !this.noStory.has(id)) this.noStory.set(id, n.why.slice(0, 160));
    }
    // Stories of this answer in its order; a dropped story leaves a gap so `after` numbers still line up.
    const placed: ({ epic: DraftEpic; story: DraftStory } | undefined)[] = [];
    for (const s of answer.stories) {
      const { sources, dropped } = resolveCitations(s.src, byAlias);
      this.droppedCitations.push(...dropped);
      const epic = epics[Math.min(Math.max(s.epic, 1), epics.length) - 1]!;
      if (epic.stories.length >= LIMITS.storiesPerEpicMax) {
        this.warnings.push(`Epic "${epic.title}" reached ${LIMITS.storiesPerEpicMax} stories; further stories for it were dropped.`);
        placed.push(undefined);
        continue;
      }
      const story: DraftStory = {
        story: s,
        sources,
        subtaskSources: s.tasks.map((t) => resolveCitations(t.src, byAlias).sources),
        chunk: chunkIndex,
        // Only earlier stories of the same answer: a story cannot wait for itself or a later one.
        dependsOn: s.after.filter((n) => n >= 1 && n <= placed.length).flatMap((n) => placed[n - 1] ?? []),
      };
      epic.stories.push(story);
      placed.push({ epic, story });
    }
  }
}
