// The engine the backend runs with: the drafter until an admin loads a model, then Qwen on the
// embedded runtime, and back to the drafter on unload — without a restart. One StatusHub is shared
// by the runtime, downloads and this engine, so the status stream (SSE, tray) is continuous across
// switches. A generation in flight finishes on the engine it started with: a switch waits for
// running generations, and generations asked for during a switch wait for it to finish.
//
// node-llama-cpp is imported only when a runtime is first needed (a load or a hardware report), so
// a backend that never leaves the drafter does not carry the model runtime in memory.

import type { Breakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import { DrafterEngine } from './drafterEngine.ts';
import type { LlamaBreakdownEngine, LlamaEngineConfig } from './llamaEngine.ts';
import type { HardwareInfo, LlamaRuntime } from './runtime.ts';
import { StatusHub } from './statusHub.ts';
import type { BreakdownEngine, GenerateOptions, ModelStatus } from './types.ts';

export const DRAFTER_MESSAGE = 'No model loaded: breakdowns are drafted from the page structure. Download or import a Qwen 2.5 model on the Models page.';

export interface SwitchableEngineOptions {
  /** The shared status; default: a new one that starts as the drafter's 'absent'. */
  status?: StatusHub;
  /** Opens the runtime on first use; default: node-llama-cpp with GPU 'auto', reporting into the shared status. */
  openRuntime?: (status: StatusHub) => Promise<LlamaRuntime>;
  /** GPU choice for the default runtime ('auto' or CPU only). */
  gpu?: 'auto' | false;
  /** How the Qwen engine generates (load options, limits, timeouts); the model path comes from load(). */
  llama?: Omit<LlamaEngineConfig, 'modelPath'>;
}

export class SwitchableEngine implements BreakdownEngine {
  readonly hub: StatusHub;
  private readonly drafter = new DrafterEngine(DRAFTER_MESSAGE);
  private current: BreakdownEngine = this.drafter;
  private llama: LlamaBreakdownEngine | undefined;
  private runtime: Promise<LlamaRuntime> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private switchesPending = 0;
  private chain: Promise<void> = Promise.resolve();
  private disposed = false;
  /** The last status the engine side (runtime, loads, generations) reported; downloads only overlay it. */
  private engineStatus: ModelStatus;

  constructor(private readonly options: SwitchableEngineOptions = {}) {
    this.hub = options.status ?? new StatusHub({ state: 'absent', message: DRAFTER_MESSAGE });
    const initial = this.hub.get();
    this.engineStatus = initial.state === 'downloading' ? { state: 'absent', message: DRAFTER_MESSAGE } : initial;
    this.hub.subscribe((s) => {
      if (s.state !== 'downloading') this.engineStatus = s;
    });
  }

  get name(): string {
    return this.current.name;
  }

  /** 'model' when Qwen is the engine in use, else 'drafter'. */
  get kind(): 'model' | 'drafter' {
    return this.current === this.drafter ? 'drafter' : 'model';
  }

  /** The model file in use, when Qwen is the engine. */
  get loadedModel(): { path: string; name: string } | undefined {
    if (this.current === this.drafter || !this.llama) return undefined;
    const loaded = this.llama.runtime.loaded;
    return loaded ? { path: loaded.path, name: loaded.name } : undefined;
  }

  status(): ModelStatus {
    return this.hub.get();
  }

  /**
   * The status this engine is in, whatever a download shows meanwhile: 'ready' with the model in use,
   * 'generating' while a generation runs, the drafter's 'absent', the error of a failed load, or the
   * progress of a switch under way (which reports its own end).
   */
  settledStatus(): ModelStatus {
    const last = this.engineStatus;
    if (this.switchesPending > 0) return last;
    const loaded = this.llama && this.current === this.llama ? this.llama.runtime.loaded : undefined;
    if (loaded && this.llama) {
      if (last.state === 'generating' && last.model === loaded.name && this.inFlight.size > 0) return last;
      return { state: 'ready', model: loaded.name, gpu: this.llama.runtime.llama.gpu, ...(loaded.notes.length ? { note: loaded.notes.join(' ') } : {}) };
    }
    if (last.state === 'error') return last;
    return { state: 'absent', message: DRAFTER_MESSAGE };
  }

  onStatus(listener: (s: ModelStatus) => void): () => void {
    return this.hub.subscribe(listener);
  }

  async generate(doc: SpecDocument, options?: GenerateOptions): Promise<Breakdown> {
    while (this.switchesPending > 0) await this.chain;
    // Chosen and registered in one synchronous step, so a switch asked for later waits for this run.
    const run = this.current.generate(doc, options);
    this.inFlight.add(run);
    try {
      return await run;
    } finally {
      this.inFlight.delete(run);
    }
  }

  /** The runtime, opened on first use. A runtime that cannot start is reported in the status and retried next time. */
  private openRuntime(): Promise<LlamaRuntime> {
    this.runtime ??= (async () => {
      if (this.options.openRuntime) return this.options.openRuntime(this.hub);
      const { LlamaRuntime } = await import('./runtime.ts');
      return LlamaRuntime.open({ gpu: this.options.gpu ?? 'auto', status: this.hub });
    })();
    const opening = this.runtime;
    opening.catch(() => {
      if (this.runtime === opening) this.runtime = undefined;
    });
    return opening;
  }

  /** GPU, devices, VRAM and threads of this machine (opens the runtime if needed). */
  async hardware(): Promise<HardwareInfo> {
    const runtime = await this.openRuntime();
    return runtime.hardware(this.options.llama?.load?.threads);
  }

  /** Runs a switch after the running generations; new generations wait until it is done. */
  private switchEngine<T>(task: () => Promise<T>): Promise<T> {
    this.switchesPending++;
    const run = this.chain.then(async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      return task();
    });
    this.chain = run.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.switchesPending--;
    });
    return run;
  }

  /**
   * Loads a model file and makes Qwen the engine. Throws ModelError (missing, not GGUF, corrupt,
   * does not fit); the status then says 'error' with the reason and the drafter stays in use.
   */
  load(modelPath: string): Promise<{ name: string; path: string }> {
    return this.switchEngine(async () => {
      if (this.disposed) throw new Error('The engine is shut down.');
      const runtime = await this.openRuntime();
      if (!this.llama) {
        const { LlamaBreakdownEngine } = await import('./llamaEngine.ts');
        this.llama = LlamaBreakdownEngine.forRuntime({ ...this.options.llama, modelPath }, runtime);
      }
      // The runtime disposes the old model before loading; until the new one is ready the drafter is the engine.
      this.current = this.drafter;
      await this.llama.load(modelPath, this.options.llama?.load ?? {});
      this.current = this.llama;
      return { name: this.llama.name, path: modelPath };
    });
  }

  /** Unloads the model (after running generations finish) and returns to the drafter. */
  unload(): Promise<void> {
    return this.switchEngine(async () => {
      this.current = this.drafter;
      if (this.runtime && this.llama) await this.llama.runtime.unload();
      this.hub.set({ state: 'absent', message: DRAFTER_MESSAGE });
    });
  }

  async dispose(): Promise<void> {
    await this.switchEngine(async () => {
      this.disposed = true;
      this.current = this.drafter;
      const runtime = this.runtime;
      this.runtime = undefined;
      if (runtime) await (await runtime.catch(() => undefined))?.dispose();
    });
  }
}
