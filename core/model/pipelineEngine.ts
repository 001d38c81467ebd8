// A BreakdownEngine made of the generation pipeline and a model client: jobs run one at a time in
// arrival order (each job already uses the client's parallelism), the status says 'generating'
// with the queue depth and tokens per second while jobs run, and the figures of the last job are
// kept for logs and benchmarks. The embedded engine and the OpenAI-compatible engine are both this,
// with their own client.

import type { Breakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { ModelClient } from './modelClient.ts';
import { PipelineJob } from './pipeline.ts';
import type { GenerationStats, PipelineConfig } from './pipeline.ts';
import { Lock } from './runtime.ts';
import { StatusHub } from './statusHub.ts';
import type { BreakdownEngine, GenerateOptions, ModelStatus } from './types.ts';

export interface PipelineEngineOptions {
  /** The client for the next job; throws a ModelError saying why when none is ready. */
  client: () => ModelClient;
  /** Read as each job starts. */
  config: () => PipelineConfig;
  status: StatusHub;
  /** The status to return to when the last queued job ends (default: 'ready' with the client's model). */
  readyStatus?: () => ModelStatus | undefined;
  /** Engine name for logs and the generator field (default: the client's model). */
  name?: () => string;
}

export class PipelineEngine implements BreakdownEngine {
  private readonly jobs = new Lock();
  private waiting = 0;
  private lastTokensPerSecond = 0;
  private model = '';
  /** Figures of the last finished (or stopped) job. */
  lastStats: GenerationStats | undefined;

  constructor(private readonly options: PipelineEngineOptions) {}

  get name(): string {
    if (this.options.name) return this.options.name();
    try {
      return this.options.client().model;
    } catch {
      return 'model';
    }
  }

  status(): ModelStatus {
    return this.options.status.get();
  }

  onStatus(listener: (s: ModelStatus) => void): () => void {
    return this.options.status.subscribe(listener);
  }

  generate(doc: SpecDocument, options: GenerateOptions = {}): Promise<Breakdown> {
    this.waiting++;
    this.publishGenerating();
    return this.jobs.run(async () => {
      try {
        const client = this.options.client();
        this.model = client.model;
        let published = performance.now();
        const job = new PipelineJob(client, doc, options, this.options.config(), (tps) => {
          this.lastTokensPerSecond = tps;
          // The status stream carries the rate a few times a second, not once per token.
          if (performance.now() - published > 500) {
            published = performance.now();
            this.publishGenerating();
          }
        });
        try {
          return await job.run();
        } finally {
          this.lastStats = job.stats();
        }
      } finally {
        this.waiting--;
        if (this.waiting > 0) this.publishGenerating();
        else if (this.status().state === 'generating') {
          const ready = this.options.readyStatus ? this.options.readyStatus() : { state: 'ready' as const, model: this.model, gpu: false as const };
          if (ready) this.options.status.set(ready);
        }
      }
    });
  }

  private publishGenerating(): void {
    let model = this.model;
    try {
      model = this.options.client().model;
    } catch {
      // No client yet (no model loaded): the job will fail with the reason; the status stays as it is.
      return;
    }
    this.options.status.set({ state: 'generating', model, queueDepth: this.waiting, tokensPerSecond: Math.round(this.lastTokensPerSecond * 10) / 10 });
  }

  /** Waits for the queued jobs to end. */
  async dispose(): Promise<void> {
    await this.jobs.run(async () => undefined);
  }
}

/**
 * An engine that runs the pipeline on a given client (for example the OpenAI-compatible one).
 * Its status starts 'ready' with the client's model unless a status hub is given.
 */
export function createPipelineEngine(client: ModelClient, config: PipelineConfig = {}, options: Partial<Omit<PipelineEngineOptions, 'client'>> = {}): PipelineEngine {
  const status = options.status ?? new StatusHub({ state: 'ready', model: client.model, gpu: false });
  return new PipelineEngine({ ...options, client: () => client, config: options.config ?? (() => config), status });
}
