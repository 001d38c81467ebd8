// The embedded engine: Qwen 2.5 on node-llama-cpp. A short outline pass proposes the epics for the
// whole page; then each section (split into chunks that fit the context) gets one
// grammar-constrained pass that writes its stories and sub-tasks, citing only block aliases that
// exist in that chunk. Requirement blocks left uncited get a targeted second pass; what is still
// uncovered is drafted deterministically (origin 'drafter'). Output is validated with JSON.parse and
// parseBreakdown at this boundary.

import { LlamaChatSession } from 'node-llama-cpp';
import type { LlamaContextSequence, LlamaGrammar } from 'node-llama-cpp';
import { LIMITS, itemDefaults, parseBreakdown } from '../breakdown/schema.ts';
import type { Breakdown, Epic, Story } from '../breakdown/schema.ts';
import { computeCoverage } from '../breakdown/coverage.ts';
import { draftItemsForBlocks } from '../drafter/index.ts';
import type { SpecBlock, SpecDocument } from '../spec/types.ts';
import { ModelError } from './modelStore.ts';
import { clampLimits, outlineSchema, sectionSchema, worstCaseTokens } from './outputSchema.ts';
import type { CompactOutline, CompactSection, CompactStory, OutputLimits } from './outputSchema.ts';
import { findInstructionLikeText, outlinePrompt, sectionPrompt, splitLongText, systemPrompt } from './prompts.ts';
import type { AliasedBlock } from './prompts.ts';
import { Lock, LlamaRuntime } from './runtime.ts';
import type { LoadOptions } from './runtime.ts';
import type { BreakdownEngine, GenerateOptions, GenerationProgress, ModelStatus } from './types.ts';

export interface LlamaEngineConfig {
  modelPath: string;
  load?: LoadOptions;
  /** Per-request output limits (clamped to the breakdown contract's LIMITS). */
  limits?: Partial<OutputLimits>;
  /** Output language; default: the page's own language (doc.language). */
  language?: string;
  /** Sections generated at once on separate context sequences (needs load.sequences ≥ this). */
  parallelSections?: number;
  /** Sampling: 0 is greedy (default, repeatable). */
  temperature?: number;
  seed?: number;
  /** Default per-job timeout (ms) when the caller gives none. */
  timeoutMs?: number;
  /** Largest prompt per chunk in tokens; bigger sections are split. */
  chunkPromptTokens?: number;
}

/**
 * Cuts text to the contract's limit. The grammar counts characters, the contract (zod) counts
 * UTF-16 units, so a string of emoji within the grammar's limit can still be too long here; cut on
 * a character boundary.
 */
function clip(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  let out = '';
  for (const ch of t) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out.trim();
}

/** Block kinds that are references or media rather than text to break down. */
const SKIPPED_KINDS = new Set<SpecBlock['kind']>(['image', 'jiraIssue']);

interface Chunk {
  headingPath: string[];
  sectionId: string;
  blocks: AliasedBlock[];
}

interface DraftEpic {
  title: string;
  description: string;
  stories: { story: CompactStory; sources: string[] }[];
}

/** One finished request to the model. */
export interface RequestStats {
  purpose: 'outline' | 'section' | 'coverage';
  /** Index of the context sequence that served it. */
  sequence: number;
  /** Prompt tokens already in the sequence from the request before (the system prompt prefix): not evaluated again. */
  reusedTokens: number;
  /** Prompt tokens evaluated for this request. */
  inputTokens: number;
  outputTokens: number;
  /** When the request started, in ms from the start of the job, and how long it took. */
  startMs: number;
  ms: number;
  /** The block aliases the grammar allowed this request to cite, and the citations the model wrote. */
  citable?: string[];
  cited?: string[];
}

/** Where one job's time went: for logs and the pipeline-overhead benchmark. */
export interface GenerationStats {
  wallMs: number;
  /**
   * Time in which at least one sequence was inside a model call (prefill + constrained decode).
   * With parallel sequences this is the union of their busy time, so it never exceeds wallMs.
   */
  modelMs: number;
  /** Time spent building JSON-schema grammars. */
  grammarMs: number;
  /** Prompt tokens of all requests, system prompt included. */
  promptTokens: number;
  /** Prompt tokens actually evaluated (fewer: the system prompt prefix is reused within a sequence). */
  evaluatedInputTokens: number;
  outputTokens: number;
  requests: number;
  /** Context sequences the job ran on. */
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

interface JobState {
  signal: AbortSignal;
  grammarMs: number;
  promptTokens: number;
  /** Tokens of the system prompt (and chat template around it). */
  sysTokens: number;
  tokens: number;
  /** Union of the sequences' busy time so far, and since when the current busy stretch runs. */
  decodeMs: number;
  active: number;
  busySince: number;
  startedAt: number;
  sequences: LlamaContextSequence[];
  perRequest: RequestStats[];
  droppedCitations: string[];
  progress: (p: Omit<GenerationProgress, 'tokens'>) => void;
}

/** Busy time so far, counting the stretch in progress. */
const busyMs = (job: JobState, now = performance.now()): number => job.decodeMs + (job.active > 0 ? now - job.busySince : 0);

/**
 * Maps the aliases a story cites to block ids. The grammar only lets the model write aliases of
 * its chunk, so `dropped` stays empty unless grammar and chunk disagree: the caller warns then.
 */
export function resolveCitations(cited: readonly string[], byAlias: ReadonlyMap<string, string>): { sources: string[]; dropped: string[] } {
  const sources: string[] = [];
  const dropped: string[] = [];
  for (const alias of cited) {
    const id = byAlias.get(alias);
    if (id === undefined) dropped.push(alias);
    else if (!sources.includes(id)) sources.push(id);
  }
  return { sources, dropped };
}

export class LlamaBreakdownEngine implements BreakdownEngine {
  private readonly jobs = new Lock();
  private waiting = 0;
  private lastTokensPerSecond = 0;
  /** Figures of the last finished job. */
  lastStats: GenerationStats | undefined;

  private constructor(
    readonly runtime: LlamaRuntime,
    private config: LlamaEngineConfig,
    /** Whether dispose() also closes the runtime (false when it was passed in and is shared). */
    private readonly ownsRuntime: boolean,
  ) {}

  /**
   * Opens the runtime (or uses the one given) and loads the configured model. A model that fails
   * to load leaves the engine in the 'error' status with the reason; load() can be called again.
   */
  static async create(config: LlamaEngineConfig, runtime?: LlamaRuntime): Promise<LlamaBreakdownEngine> {
    const engine = new LlamaBreakdownEngine(runtime ?? (await LlamaRuntime.open()), config, !runtime);
    try {
      await engine.load(config.modelPath);
    } catch {
      // Already in the status; the engine keeps serving status and accepts another load.
    }
    return engine;
  }

  /**
   * An engine on a runtime owned by someone else, with no model loaded yet: call load() next.
   * The runtime outlives the engine (dispose() only unloads).
   */
  static forRuntime(config: LlamaEngineConfig, runtime: LlamaRuntime): LlamaBreakdownEngine {
    return new LlamaBreakdownEngine(runtime, config, false);
  }

  get name(): string {
    return this.runtime.loaded?.name ?? this.config.modelPath.split(/[\\/]/).at(-1) ?? 'model';
  }

  async load(modelPath: string, load: LoadOptions = this.config.load ?? {}): Promise<void> {
    this.config = { ...this.config, modelPath, load };
    await this.runtime.load(modelPath, { ...load, sequences: Math.max(load.sequences ?? 1, this.config.parallelSections ?? 1) });
  }

  status(): ModelStatus {
    return this.runtime.status.get();
  }

  onStatus(listener: (s: ModelStatus) => void): () => void {
    return this.runtime.status.subscribe(listener);
  }

  async dispose(): Promise<void> {
    await this.jobs.run(async () => undefined);
    if (this.ownsRuntime) await this.runtime.dispose();
    else await this.runtime.unload();
  }

  generate(doc: SpecDocument, options: GenerateOptions = {}): Promise<Breakdown> {
    this.waiting++;
    this.publishGenerating();
    return this.jobs.run(async () => {
      try {
        return await this.run(doc, options);
      } finally {
        this.waiting--;
        const loaded = this.runtime.loaded;
        if (this.waiting > 0) this.publishGenerating();
        else if (loaded && this.status().state === 'generating') this.runtime.status.set({ state: 'ready', model: loaded.name, gpu: this.runtime.llama.gpu });
      }
    });
  }

  private publishGenerating(): void {
    const loaded = this.runtime.loaded;
    if (!loaded) return;
    this.runtime.status.set({ state: 'generating', model: loaded.name, queueDepth: this.waiting, tokensPerSecond: Math.round(this.lastTokensPerSecond * 10) / 10 });
  }

  private async run(doc: SpecDocument, options: GenerateOptions): Promise<Breakdown> {
    const loaded = this.runtime.loaded;
    if (!loaded) {
      throw new ModelError('load_failed', `No model is loaded (${this.status().state === 'error' ? (this.status() as { message: string }).message : 'load one in Settings → Model'}).`);
    }
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs ?? 30 * 60_000;
    const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]);
    const limits = clampLimits(this.config.limits);
    const language = options.language ?? this.config.language ?? doc.language;
    const warnings: string[] = [];

    for (const hit of findInstructionLikeText(doc)) {
      warnings.push(`Block ${hit.blockId} contains text that reads like an instruction to the model ("${hit.excerpt}"). It was treated as page content and the limits still applied; check the items from that section.`);
    }

    const parallel = Math.max(1, Math.min(this.config.parallelSections ?? 1, loaded.context.sequencesLeft));
    const sequences: LlamaContextSequence[] = Array.from({ length: parallel }, () => loaded.context.getSequence());
    const sys = systemPrompt(language, limits);
    const sessions = sequences.map((contextSequence) => new LlamaChatSession({ contextSequence, systemPrompt: sys, autoDisposeSequence: false }));

    const startedAt = performance.now();
    const systemPromptTokens = loaded.model.tokenize(sys).length;
    const job: JobState = {
      signal,
      grammarMs: 0,
      promptTokens: 0,
      sysTokens: systemPromptTokens + 16,
      tokens: 0,
      decodeMs: 0,
      active: 0,
      busySince: 0,
      startedAt,
      sequences,
      perRequest: [],
      droppedCitations: [],
      progress: (p) => options.onProgress?.({ ...p, tokens: job.tokens }),
    };
    const coverage: GenerationStats['coverage'] = { requirementBlocks: 0, uncoveredAfterFirstPass: [], coveredBySecondPass: [], drafted: [] };

    try {
      // 1. Outline: the epics.
      job.progress({ phase: 'outline', section: 0, sections: 0 });
      const epics = await this.outline(sessions[0]!, doc, limits, job, warnings);

      // 2. Sections.
      const chunks = this.chunks(doc, doc.blocks.filter((b) => !SKIPPED_KINDS.has(b.kind)).map((b) => b.id), limits, sys, warnings);
      await this.runChunks(sessions, chunks, epics, limits, job, warnings, 'section');

      // 3. Coverage: a targeted pass over uncited requirements, then the drafter for what remains.
      let breakdown = this.assemble(doc, epics, language, loaded.name, warnings);
      const first = computeCoverage(doc, breakdown);
      coverage.requirementBlocks = first.requirementBlocks;
      coverage.uncoveredAfterFirstPass = first.uncovered;
      let uncovered = first.uncovered;
      if (uncovered.length > 0) {
        const gapChunks = this.chunks(doc, uncovered, limits, sys, warnings);
        await this.runChunks(sessions, gapChunks, epics, limits, job, warnings, 'coverage');
        breakdown = this.assemble(doc, epics, language, loaded.name, warnings);
        uncovered = computeCoverage(doc, breakdown).uncovered;
        const still = new Set(uncovered);
        coverage.coveredBySecondPass = first.uncovered.filter((id) => !still.has(id));
      }
      if (job.droppedCitations.length > 0) {
        breakdown.warnings.push(`The model cited ${job.droppedCitations.length} block reference(s) that do not exist in their section (${[...new Set(job.droppedCitations)].slice(0, 10).join(', ')}); those citations were dropped. Check the sources of the generated items.`);
      }
      if (uncovered.length > 0) {
        coverage.drafted = uncovered;
        breakdown = draftItemsForBlocks(doc, uncovered, breakdown);
        breakdown.generator = {
          kind: 'mixed',
          model: loaded.name,
          note: `Written by ${loaded.name}; ${uncovered.length} requirement block(s) the model left uncovered were drafted from the page structure (origin "drafter") — review those items.`,
        };
        breakdown.warnings.push(`The model did not cover ${uncovered.length} requirement block(s) even in a second pass (${uncovered.slice(0, 20).join(', ')}${uncovered.length > 20 ? ', …' : ''}); their items were drafted from the page structure (origin "drafter") — review them.`);
      }
      signal.throwIfAborted();
      job.progress({ phase: 'done', section: chunks.length, sections: chunks.length });
      return parseBreakdown(breakdown);
    } catch (err) {
      if (signal.aborted) {
        if (options.signal?.aborted) throw new ModelError('cancelled', 'Generation cancelled.');
        throw new ModelError('timed_out', `Generation stopped: it took longer than the ${timeoutMs >= 120_000 ? `${Math.round(timeoutMs / 60_000)} min` : `${(timeoutMs / 1000).toFixed(timeoutMs < 10_000 ? 1 : 0)} s`} limit for one job. Raise the generation time limit in Settings or choose a smaller model.`);
      }
      throw err;
    } finally {
      this.lastStats = {
        wallMs: performance.now() - startedAt,
        modelMs: busyMs(job),
        grammarMs: job.grammarMs,
        promptTokens: job.promptTokens,
        evaluatedInputTokens: sequences.reduce((n, s) => n + s.tokenMeter.usedInputTokens, 0),
        outputTokens: sequences.reduce((n, s) => n + s.tokenMeter.usedOutputTokens, 0),
        requests: job.perRequest.length,
        sequences: sequences.length,
        systemPromptTokens,
        perRequest: job.perRequest,
        citations: { written: job.perRequest.reduce((n, r) => n + (r.cited?.length ?? 0), 0), dropped: job.droppedCitations },
        coverage,
      };
      for (const s of sessions) s.dispose({ disposeSequence: false });
      for (const s of sequences) s.dispose();
    }
  }

  /** Builds a grammar, counting the time it takes. */
  private async grammar(build: () => Promise<LlamaGrammar>, job: JobState): Promise<LlamaGrammar> {
    const started = performance.now();
    const grammar = await build();
    job.grammarMs += performance.now() - started;
    return grammar;
  }

  private async prompt(
    session: LlamaChatSession,
    text: string,
    grammar: LlamaGrammar,
    schema: unknown,
    job: JobState,
    purpose: RequestStats['purpose'],
  ): Promise<{ value: unknown; request: RequestStats }> {
    const loaded = this.runtime.loaded!;
    session.resetChatHistory();
    const textTokens = loaded.model.tokenize(text).length;
    const room = loaded.contextSize - job.sysTokens - textTokens - 48;
    const maxTokens = Math.max(16, Math.min(worstCaseTokens(schema), room));
    const seq = session.sequence;
    const inputBefore = seq.tokenMeter.usedInputTokens;
    const outputBefore = seq.tokenMeter.usedOutputTokens;
    const started = performance.now();
    if (job.active++ === 0) job.busySince = started;
    let answer: string;
    try {
      answer = await session.prompt(text, {
        grammar,
        maxTokens,
        signal: job.signal,
        temperature: this.config.temperature ?? 0,
        seed: this.config.seed,
        onToken: (tokens) => {
          job.tokens += tokens.length;
          const ms = busyMs(job);
          if (ms > 0) this.lastTokensPerSecond = (job.tokens * 1000) / ms;
        },
      });
    } finally {
      const ended = performance.now();
      if (--job.active === 0) job.decodeMs += ended - job.busySince;
    }
    // The runtime may finish the answer it was evaluating when the signal fired; never let a
    // cancelled or timed-out job go on to the next step.
    job.signal.throwIfAborted();
    const inputTokens = seq.tokenMeter.usedInputTokens - inputBefore;
    const outputTokens = seq.tokenMeter.usedOutputTokens - outputBefore;
    // What the sequence holds now is the prompt (reused prefix + evaluated part) and the answer.
    const reusedTokens = Math.max(0, seq.nextTokenIndex - inputTokens - outputTokens);
    job.promptTokens += reusedTokens + inputTokens;
    const request: RequestStats = { purpose, sequence: job.sequences.indexOf(seq), reusedTokens, inputTokens, outputTokens, startMs: started - job.startedAt, ms: performance.now() - started };
    job.perRequest.push(request);
    this.publishGenerating();
    let value: unknown;
    try {
      value = JSON.parse(answer);
    } catch {
      value = undefined;
    }
    return { value, request };
  }

  private async outline(session: LlamaChatSession, doc: SpecDocument, limits: OutputLimits, job: JobState, warnings: string[]): Promise<DraftEpic[]> {
    const schema = outlineSchema(limits);
    const grammar = await this.grammar(() => this.runtime.llama.createGrammarForJsonSchema(schema), job);
    const out = (await this.prompt(session, outlinePrompt(doc), grammar, schema, job, 'outline')).value as CompactOutline | undefined;
    const epics = (out?.e ?? [])
      .map((e) => ({ title: e.t.trim(), description: e.d.trim(), stories: [] }))
      .filter((e) => e.title.length > 0);
    if (epics.length > 0) return epics;
    warnings.push('The model proposed no usable epics; one epic named after the page holds its stories.');
    return [{ title: doc.title || 'Specification', description: '', stories: [] }];
  }

  /**
   * Splits the given blocks, section by section, into chunks whose prompt fits the chunk budget.
   * A block longer than the budget on its own is given in parts (each its own alias, all citing
   * that block) and the reviewer is told.
   */
  private chunks(doc: SpecDocument, blockIds: string[], limits: OutputLimits, sys: string, warnings: string[]): Chunk[] {
    const loaded = this.runtime.loaded!;
    const wanted = new Set(blockIds);
    const sysTokens = loaded.model.tokenize(sys).length;
    // Room for the prompt: what the context leaves after the system prompt and a one-story answer.
    // runChunks lowers the story count of a request until its worst-case answer fits, so reserving
    // for the full limits here would only shrink every chunk (to one block each on an 8k context).
    const answer = worstCaseTokens(sectionSchema({ ...limits, storiesMax: 1 }, limits.epicsMax, ['b100']));
    const budget = Math.max(64, Math.min(this.config.chunkPromptTokens ?? 2048, loaded.contextSize - sysTokens - answer - 300));
    const count = (text: string): number => loaded.model.tokenize(text).length;
    const maxBlocksPerChunk = 40;
    const out: Chunk[] = [];
    const byId = new Map(doc.blocks.map((b) => [b.id, b]));
    for (const section of doc.sections) {
      const blocks = section.blockIds.map((id) => byId.get(id)).filter((b): b is SpecBlock => !!b && wanted.has(b.id));
      let current: AliasedBlock[] = [];
      let tokens = 0;
      const flush = (): void => {
        if (current.length) out.push({ headingPath: section.headingPath.length ? section.headingPath : [section.title], sectionId: section.id, blocks: current });
        current = [];
        tokens = 0;
      };
      const add = (entry: Omit<AliasedBlock, 'alias'>, t: number): void => {
        if (current.length && (tokens + t > budget || current.length >= maxBlocksPerChunk)) flush();
        current.push({ alias: `b${current.length + 1}`, ...entry });
        tokens += t;
      };
      for (const block of blocks) {
        // The alias and the part label take a few tokens of their own.
        const t = count(block.text) + 4;
        if (t <= budget) {
          add({ block }, t);
          continue;
        }
        const parts = splitLongText(block.text, budget - 12, count);
        warnings.push(`Block ${block.id} is longer than one request to the model can hold (${t} tokens, ${budget} per request); the model read it in ${parts.length} parts, so check that its items cover all of it.`);
        parts.forEach((text, i) => add({ block, part: { text, index: i + 1, of: parts.length } }, count(text) + 12));
      }
      flush();
    }
    return out;
  }

  private async runChunks(
    sessions: LlamaChatSession[],
    chunks: Chunk[],
    epics: DraftEpic[],
    limits: OutputLimits,
    job: JobState,
    warnings: string[],
    purpose: 'section' | 'coverage',
  ): Promise<void> {
    let next = 0;
    let done = 0;
    const epicTitles = epics.map((e) => e.title);
    const worker = async (session: LlamaChatSession): Promise<void> => {
      while (next < chunks.length) {
        const chunk = chunks[next++]!;
        job.signal.throwIfAborted();
        const aliases = chunk.blocks.map((b) => b.alias);
        const text = sectionPrompt(chunk.headingPath, chunk.blocks, epicTitles, purpose);
        // Shrink this request's story count until its worst-case answer fits the context left.
        const room = this.runtime.loaded!.contextSize - job.sysTokens - this.runtime.loaded!.model.tokenize(text).length - 48;
        const fitted = { ...limits };
        const schemaFor = (l: OutputLimits) => sectionSchema(l, epics.length, aliases, { minStories: purpose === 'coverage' ? 1 : 0 });
        while (worstCaseTokens(schemaFor(fitted)) > room && fitted.storiesMax > 1) fitted.storiesMax--;
        while (worstCaseTokens(schemaFor(fitted)) > room && fitted.subtasksMax > 0) fitted.subtasksMax--;
        const schema = schemaFor(fitted);
        const grammar = await this.grammar(() => this.runtime.llama.createGrammarForJsonSchema(schema), job);
        const { value, request } = await this.prompt(session, text, grammar, schema, job, purpose);
        const out = value as CompactSection | undefined;
        request.citable = aliases;
        request.cited = out?.s.flatMap((story) => story.src) ?? [];
        done++;
        job.progress({ phase: purpose === 'coverage' ? 'coverage' : 'sections', section: done, sections: chunks.length });
        if (!out) {
          warnings.push(`The model's answer for "${chunk.headingPath.join(' > ')}" was cut off or not valid JSON; its requirements went to the coverage pass.`);
          continue;
        }
        const epic = epics[Math.min(Math.max(out.ep, 1), epics.length) - 1]!;
        const byAlias = new Map(chunk.blocks.map((b) => [b.alias, b.block.id]));
        for (const story of out.s) {
          const { sources, dropped } = resolveCitations(story.src, byAlias);
          job.droppedCitations.push(...dropped);
          if (epic.stories.length >= LIMITS.storiesPerEpicMax) {
            warnings.push(`Epic "${epic.title}" reached ${LIMITS.storiesPerEpicMax} stories; further stories for it were dropped.`);
            break;
          }
          epic.stories.push({ story, sources });
        }
      }
    };
    await Promise.all(sessions.map((s) => worker(s)));
  }

  /** Maps the compact drafts to a Breakdown with readable ids; epics without stories are left out. */
  private assemble(doc: SpecDocument, drafts: DraftEpic[], language: string, model: string, warnings: string[]): Breakdown {
    const epics: Epic[] = [];
    let items = 0;
    for (const d of drafts) {
      if (d.stories.length === 0) continue;
      if (epics.length >= LIMITS.epicsMax || items >= LIMITS.itemsMax) break;
      const e = epics.length + 1;
      const stories: Story[] = [];
      for (const { story, sources } of d.stories) {
        if (items + 2 + story.st.length > LIMITS.itemsMax) {
          warnings.push(`The breakdown reached ${LIMITS.itemsMax} items; the rest were left out.`);
          break;
        }
        const k = stories.length + 1;
        const title = clip(story.t, LIMITS.titleMax) || `Story for ${sources[0] ?? 'section'}`;
        stories.push({
          id: `S${e}.${k}`,
          title,
          description: clip(story.d, LIMITS.descriptionMax),
          acceptanceCriteria: story.ac.map((c) => clip(c, LIMITS.criterionMax)).filter((c) => c.length > 0).slice(0, LIMITS.criteriaMax),
          estimate: story.e,
          priority: story.p,
          labels: [],
          components: [],
          dependsOn: [],
          sources,
          notes: '',
          origin: 'model',
          subtasks: story.st
            .slice(0, LIMITS.subtasksPerStoryMax)
            .map((t) => clip(t.t, LIMITS.titleMax))
            .map((t, j) => ({ t, h: story.st[j]!.h }))
            .filter((t) => t.t.length > 0)
            .map((t, j) => ({
              id: `T${e}.${k}.${j + 1}`,
              title: t.t,
              description: '',
              acceptanceCriteria: [],
              estimate: t.h,
              priority: story.p,
              labels: [],
              components: [],
              dependsOn: [],
              sources: [],
              notes: '',
              origin: 'model' as const,
            })),
        });
        items += 1 + stories.at(-1)!.subtasks.length;
      }
      items++;
      epics.push({
        id: `E${e}`,
        title: clip(d.title, LIMITS.titleMax) || doc.title || 'Epic',
        ...itemDefaults('model'),
        description: clip(d.description, LIMITS.descriptionMax),
        stories,
      });
    }
    return {
      schemaVersion: 1,
      title: clip(doc.title, LIMITS.titleMax),
      language,
      generator: { kind: 'model', model, note: `Written by ${model}.` },
      epics,
      warnings: [...new Set(warnings)],
    };
  }
}
