// The embedded engine: Qwen 2.5 on node-llama-cpp. The generation pipeline (core/model/pipeline.ts)
// on the embedded model client (core/model/llamaClient.ts); this module only owns the runtime side:
// loading and unloading the model file, the status, and which client a job gets.

import { ModelError } from './modelStore.ts';
import { LlamaClient } from './llamaClient.ts';
import type { LlamaClientOptions } from './llamaClient.ts';
import type { Sampling } from './modelClient.ts';
import { DEFAULT_SAMPLING } from './pipeline.ts';
import type { PipelineConfig } from './pipeline.ts';
import { PipelineEngine } from './pipelineEngine.ts';
import { defaultSequences, LlamaRuntime } from './runtime.ts';
import type { LoadOptions } from './runtime.ts';
import type { Breakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { BreakdownEngine, GenerateOptions, ModelStatus } from './types.ts';

export { resolveCitations } from './assemble.ts';
export type { GenerationStats, RequestStats } from './pipeline.ts';

/** The model file, how to load it, and how the pipeline generates (see PipelineConfig for the rest). */
export interface LlamaEngineConfig extends PipelineConfig {
  modelPath: string;
  load?: LoadOptions;
  /** Sampling temperature (0 is greedy) and seed; default DEFAULT_SAMPLING's. Other sampling settings: `sampling`. */
  temperature?: number;
  seed?: number;
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
    const { modelPath: _path, load: _load, temperature, seed, steer: _steer, ...pipeline } = this.config;
    const sampling: Sampling = { ...DEFAULT_SAMPLING, ...(temperature !== undefined ? { temperature } : {}), ...(seed !== undefined ? { seed } : {}), ...pipeline.sampling };
    // Without a setting, a job uses every sequence the context has (several on a GPU, one on the CPU).
    return { ...pipeline, sampling };
  }

  async load(modelPath: string, load: LoadOptions = this.config.load ?? {}): Promise<void> {
    this.config = { ...this.config, modelPath, load };
    const sequences = Math.max(load.sequences ?? defaultSequences(this.runtime.llama.gpu), this.config.parallelSections ?? 1);
    await this.runtime.load(modelPath, { ...load, sequences });
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
