// The embedded engine: Qwen 2.5 on node-llama-cpp. The generation pipeline (core/model/pipeline.ts)
// on the embedded model client (core/model/llamaClient.ts); this module only owns the runtime side:
// loading and unloading the model file, the status, and which client a job gets.

import { ModelError } from './modelStore.ts';
import type { OutputLimits } from './outputSchema.ts';
import { LlamaClient } from './llamaClient.ts';
import type { LlamaClientOptions } from './llamaClient.ts';
import type { Sampling } from './modelClient.ts';
import type { PipelineConfig } from './pipeline.ts';
import { PipelineEngine } from './pipelineEngine.ts';
import { LlamaRuntime } from './runtime.ts';
import type { LoadOptions } from './runtime.ts';
import type { Breakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { BreakdownEngine, GenerateOptions, ModelStatus } from './types.ts';

export { resolveCitations } from './assemble.ts';
export type { GenerationStats, RequestStats } from './pipeline.ts';

export interface LlamaEngineConfig {
  modelPath: string;
  load?: LoadOptions;
  /** Per-request output limits (clamped to the breakdown contract's LIMITS). */
  limits?: Partial<OutputLimits>;
  /** Output language; default: the page's own language (doc.language). */
  language?: string;
  /** Sections generated at once on separate context sequences (needs load.sequences ≥ this). */
  parallelSections?: number;
  /** Sampling: 0 is greedy. */
  temperature?: number;
  seed?: number;
  /** Sampling beyond temperature and seed (top-k, top-p, repeat penalty). */
  sampling?: Sampling;
  /** Default per-job timeout (ms) when the caller gives none. */
  timeoutMs?: number;
  /** Largest prompt per chunk in tokens; bigger sections are split. */
  chunkPromptTokens?: number;
  /** Tests and figures only: forces chosen answers through the real runtime (see LlamaClient). */
  steer?: LlamaClientOptions['steer'];
}

export class LlamaBreakdownEngine implements BreakdownEngine {
  private readonly pipeline: PipelineEngine;

  private constructor(
    readonly runtime: LlamaRuntime,
    private config: LlamaEngineConfig,
    /** Whether dispose() also closes the runtime (false when it was passed in and is shared). */
    private readonly ownsRuntime: boolean,
  ) {
    this.pipeline = new PipelineEngine({
      client: () => this.client(),
      config: () => this.pipelineConfig(),
      status: runtime.status,
      readyStatus: () => {
        const loaded = this.runtime.loaded;
        return loaded ? { state: 'ready', model: loaded.name, gpu: this.runtime.llama.gpu } : undefined;
      },
      name: () => this.name,
    });
  }

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

  /** Figures of the last finished (or stopped) job. */
  get lastStats(): PipelineEngine['lastStats'] {
    return this.pipeline.lastStats;
  }

  get name(): string {
    return this.runtime.loaded?.name ?? this.config.modelPath.split(/[\\/]/).at(-1) ?? 'model';
  }

  /** The model client for the loaded model; throws when none is loaded. */
  client(): LlamaClient {
    const loaded = this.runtime.loaded;
    if (!loaded) {
      const s = this.status();
      throw new ModelError('load_failed', `No model is loaded (${s.state === 'error' ? s.message : 'load one in Settings → Model'}).`);
    }
    return new LlamaClient(this.runtime.llama, loaded, { ...(this.config.steer ? { steer: this.config.steer } : {}) });
  }

  private pipelineConfig(): PipelineConfig {
    const c = this.config;
    const sampling: Sampling = { temperature: c.temperature ?? 0, ...(c.seed !== undefined ? { seed: c.seed } : {}), ...c.sampling };
    return {
      ...(c.limits ? { limits: c.limits } : {}),
      ...(c.language ? { language: c.language } : {}),
      parallelSections: c.parallelSections ?? 1,
      sampling,
      ...(c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}),
      ...(c.chunkPromptTokens !== undefined ? { chunkPromptTokens: c.chunkPromptTokens } : {}),
    };
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

  generate(doc: SpecDocument, options: GenerateOptions = {}): Promise<Breakdown> {
    return this.pipeline.generate(doc, options);
  }

  async dispose(): Promise<void> {
    await this.pipeline.dispose();
    if (this.ownsRuntime) await this.runtime.dispose();
    else await this.runtime.unload();
  }
}
