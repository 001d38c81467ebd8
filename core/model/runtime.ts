// The local llama.cpp runtime (node-llama-cpp): finding the prebuilt binary (never compiling),
// describing the hardware, and loading/unloading one model + context under a lock. Out-of-memory
// loads are retried with fewer GPU layers and a smaller context, and the status says so.
// Load failures (missing, non-GGUF, corrupt file) become an error status with a clear message;
// the runtime stays usable for the next load.

import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';
import type { Llama, LlamaContext, LlamaModel } from 'node-llama-cpp';
import { inspectGguf, ModelError } from './modelStore.ts';
import { StatusHub } from './statusHub.ts';

export interface HardwareInfo {
  /** 'cuda' | 'vulkan' | 'metal' or false for CPU only. */
  gpu: string | false;
  devices: string[];
  vram: { total: number; used: number; free: number };
  cpuCores: number;
  /** Threads used for generation. */
  threads: number;
}

export interface LoadOptions {
  /** Context size in tokens (default 8192, capped by the model's trained context). */
  contextSize?: number;
  /** Parallel sequences in the context (sections generated at once). */
  sequences?: number;
  /** GPU layers: 'auto' (fit to free VRAM) or a number. */
  gpuLayers?: 'auto' | number;
  /** Generation threads; default from the real core count. */
  threads?: number;
  /** Batch size for prompt evaluation. */
  batchSize?: number;
  /** Flash attention (default: on with a GPU, where it saves memory and time; the runtime's own choice on the CPU). */
  flashAttention?: boolean;
  /**
   * KV cache precision: 'f16', or 'q8_0' (half the memory, with flash attention). Default: f16; with a
   * GPU and too little memory, q8_0 is the first step down, before the context shrinks or layers
   * move to the CPU.
   */
  kvCache?: 'f16' | 'q8_0';
}

/** Parallel sequences by default: several on a GPU (it batches them), one on the CPU (measured 0.55× throughput with two). */
export const defaultSequences = (gpu: string | false): number => (gpu ? 3 : 1);

export interface LoadedModel {
  path: string;
  name: string;
  model: LlamaModel;
  context: LlamaContext;
  contextSize: number;
  gpuLayers: number;
  threads: number;
  /** What had to be reduced to fit memory, for the status and the logs. */
  notes: string[];
  /** KV cache precision in use. */
  kvCache: 'f16' | 'q8_0';
}

/**
 * node-llama-cpp defaults to max(4, cores) threads, which collapses decoding on small machines
 * (measured: 2 cores → 3.5 tok/s with 4 threads, ~370 tok/s with 1). Leave one core for the rest of
 * the backend.
 */
export function defaultThreads(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

/** A serial lock: each task starts when the previous one has settled. */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const isOutOfMemory = (err: unknown): boolean =>
  err instanceof Error && (err.name === 'InsufficientMemoryError' || /out of memory|insufficient memory|failed to allocate|not enough (v)?ram|too large for the available (v)?ram/i.test(err.message));

export class LlamaRuntime {
  readonly status: StatusHub;
  private readonly lock = new Lock();
  private current: LoadedModel | undefined;

  private constructor(
    readonly llama: Llama,
    status: StatusHub,
  ) {
    this.status = status;
  }

  /**
   * Finds the prebuilt llama.cpp binary for this machine ('auto' GPU: CUDA/Vulkan/Metal when
   * available, else CPU). Never compiles: a missing binary fails at once with an explanation.
   */
  static async open(options: { gpu?: 'auto' | false; status?: StatusHub } = {}): Promise<LlamaRuntime> {
    const status = options.status ?? new StatusHub({ state: 'absent', message: 'No model loaded.' });
    try {
      const llama = await getLlama({ build: 'never', gpu: options.gpu ?? 'auto', logLevel: LlamaLogLevel.error, progressLogs: false });
      return new LlamaRuntime(llama, status);
    } catch (err) {
      const message = `The model runtime could not start: no prebuilt llama.cpp binary works on this machine (${err instanceof Error ? err.message : String(err)}). Reinstall the application for this platform.`;
      status.set({ state: 'error', message });
      throw new ModelError('load_failed', message);
    }
  }

  async hardware(threads?: number): Promise<HardwareInfo> {
    const gpu = this.llama.gpu;
    const vram = await this.llama.getVramState();
    return {
      gpu,
      devices: gpu ? await this.llama.getGpuDeviceNames() : [],
      vram: { total: vram.total, used: vram.used, free: vram.free },
      cpuCores: availableParallelism(),
      threads: threads ?? defaultThreads(),
    };
  }

  get loaded(): LoadedModel | undefined {
    return this.current;
  }

  /** Loads a model file, replacing (and disposing) the current one. Throws ModelError; status shows it. */
  load(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
    return this.lock.run(async () => {
      const name = basename(path);
      await this.disposeCurrent();
      try {
        // Read the file's header first: a missing or damaged file fails before any "Loading 0%".
        const summary = await inspectGguf(path);
        this.status.set({ state: 'loading', model: name, percent: 0 });
        const threads = options.threads ?? defaultThreads();
        const trained = summary.contextLength ?? 32_768;
        let contextSize = Math.min(options.contextSize ?? 8192, trained);
        let gpuLayers: 'auto' | number = this.llama.gpu ? (options.gpuLayers ?? 'auto') : 0;
        let kvCache: 'f16' | 'q8_0' = options.kvCache ?? 'f16';
        // On a GPU: flash attention by default (and always with a quantised KV cache, which needs it).
        const flashAttention = (): boolean | undefined => (kvCache === 'q8_0' ? true : (options.flashAttention ?? (this.llama.gpu ? true : undefined)));
        const notes: string[] = [];
        for (let attempt = 0; ; attempt++) {
          let model: LlamaModel | undefined;
          try {
            model = await this.llama.loadModel({
              modelPath: path,
              gpuLayers,
              onLoadProgress: (p) => this.status.set({ state: 'loading', model: name, percent: Math.round(p * 100) }),
            });
            const fa = flashAttention();
            const context = await model.createContext({
              contextSize,
              sequences: options.sequences ?? 1,
              threads,
              batchSize: options.batchSize,
              ...(fa !== undefined ? { flashAttention: fa } : {}),
              ...(kvCache === 'q8_0' ? { experimentalKvCacheKeyType: 'Q8_0' as const, experimentalKvCacheValueType: 'Q8_0' as const } : {}),
            });
            this.current = { path, name, model, context, contextSize: context.contextSize, gpuLayers: model.gpuLayers, threads, notes, kvCache };
            this.status.set({ state: 'ready', model: name, gpu: this.llama.gpu, ...(notes.length ? { note: notes.join(' ') } : {}) });
            return this.current;
          } catch (err) {
            await model?.dispose();
            if (!isOutOfMemory(err) || attempt >= 8) throw err;
            // Reduce what costs memory. On a GPU the KV cache gives way first (q8_0, then a context
            // down to 4096 tokens): layers moved to the CPU cost far more speed than either. Then
            // GPU layers, then the context down to 2048.
            const layersNow = typeof gpuLayers === 'number' ? gpuLayers : (model?.gpuLayers ?? summary.blockCount ?? 0);
            if (this.llama.gpu && layersNow > 0 && kvCache === 'f16' && options.kvCache === undefined) {
              kvCache = 'q8_0';
              notes.push('Not enough memory: retrying with a q8_0 KV cache.');
            } else if (this.llama.gpu && layersNow > 0 && contextSize > 4096) {
              contextSize = Math.max(4096, Math.floor(contextSize / 2));
              notes.push(`Not enough memory: retrying with a ${contextSize}-token context.`);
            } else if (layersNow > 0) {
              gpuLayers = Math.floor(layersNow / 2);
              notes.push(`Not enough memory: retrying with ${gpuLayers} GPU layers.`);
            } else if (contextSize > 2048) {
              contextSize = Math.max(2048, Math.floor(contextSize / 2));
              notes.push(`Not enough memory: retrying with a ${contextSize}-token context.`);
            } else {
              throw err;
            }
            this.status.set({ state: 'loading', model: name, percent: 0 });
          }
        }
      } catch (err) {
        const message =
          err instanceof ModelError
            ? err.message
            : isOutOfMemory(err)
              ? `${name} does not fit in memory even with a 2048-token context on the CPU; choose a smaller model.`
              : `${name} could not be loaded: ${err instanceof Error ? err.message : String(err)}. The file may be damaged; download or import it again.`;
        this.status.set({ state: 'error', message });
        throw err instanceof ModelError ? err : new ModelError('load_failed', message);
      }
    });
  }

  unload(): Promise<void> {
    return this.lock.run(async () => {
      await this.disposeCurrent();
      this.status.set({ state: 'absent', message: 'No model loaded.' });
    });
  }

  private async disposeCurrent(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    if (cur) {
      await cur.context.dispose();
      await cur.model.dispose();
    }
  }

  /** Unloads the model and releases the runtime. */
  async dispose(): Promise<void> {
    await this.unload();
    await this.llama.dispose();
  }
}

