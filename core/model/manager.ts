// The model manager: what the admin screens and the CLI call. It ties the models folder (inside the
// data folder passed in), the catalogue, downloads and the runtime's hardware report together, and
// shares one status with the engine so the tray and the renderer see downloads and loads alike.
// It never downloads on its own: only download() does, when called.

import { join } from 'node:path';
import { DEFAULT_CONTEXT_TOKENS, MODEL_CATALOGUE, findCatalogueModel, suggestModel } from './catalogue.ts';
import type { CatalogueModel, Suggestion } from './catalogue.ts';
import { downloadModel } from './download.ts';
import type { DownloadPolicyOptions, DownloadProgress } from './download.ts';
import { inspectGguf, ModelError, ModelStore } from './modelStore.ts';
import type { StoredModel } from './modelStore.ts';
import type { LlamaRuntime } from './runtime.ts';
import { StatusHub } from './statusHub.ts';
import type { ModelStatus } from './types.ts';

export interface ModelManagerOptions {
  /** The application's data folder; models live in its `models/` folder. */
  dataDir: string;
  /** Runtime for the hardware report and the loaded model (optional: catalogue and files work without it). */
  runtime?: LlamaRuntime;
  /** Status to report downloads in; default: the runtime's. */
  status?: StatusHub;
  fetch?: typeof fetch;
}

export class ModelManager {
  readonly store: ModelStore;
  readonly status: StatusHub;
  private readonly runtime: LlamaRuntime | undefined;
  private readonly fetchImpl: typeof fetch | undefined;

  constructor(options: ModelManagerOptions) {
    this.store = new ModelStore(join(options.dataDir, 'models'));
    this.runtime = options.runtime;
    this.status = options.status ?? options.runtime?.status ?? new StatusHub({ state: 'absent', message: 'No model loaded.' });
    this.fetchImpl = options.fetch;
  }

  catalogue(): readonly CatalogueModel[] {
    return MODEL_CATALOGUE;
  }

  /** The catalogue model that fits this machine's free VRAM (0 without a GPU runtime). */
  async suggest(contextTokens = DEFAULT_CONTEXT_TOKENS): Promise<Suggestion> {
    const free = this.runtime ? (await this.runtime.hardware()).vram.free : 0;
    return suggestModel({ free }, contextTokens);
  }

  list(): Promise<StoredModel[]> {
    return this.store.list();
  }

  import(sourcePath: string, options: { mode?: 'copy' | 'move'; fileName?: string } = {}): Promise<StoredModel> {
    return this.store.import(sourcePath, options);
  }

  /** Deletes a model from the folder; the model currently loaded is refused (unload it first). */
  async delete(nameOrPath: string): Promise<void> {
    const path = this.store.pathFor(nameOrPath);
    if (this.runtime?.loaded?.path === path) {
      throw new ModelError('in_use', `${this.runtime.loaded.name} is loaded; switch to another model or unload it before deleting.`);
    }
    await this.store.delete(path);
  }

  /**
   * Downloads a catalogue model (by id, e.g. 'qwen2.5-7b') or a model URI/URL into the models folder.
   * Cancel with the signal; the partial file is kept and the next call resumes it.
   */
  download(idOrSource: string, options: { signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void; hfToken?: string; settle?: () => ModelStatus; policy?: DownloadPolicyOptions } = {}): Promise<StoredModel> {
    const entry = findCatalogueModel(idOrSource);
    return downloadModel(this.store, {
      source: entry?.uri ?? idOrSource,
      fileName: entry?.fileName,
      signal: options.signal,
      onProgress: options.onProgress,
      hfToken: options.hfToken,
      fetch: this.fetchImpl,
      status: this.status,
      settle: options.settle,
      policy: options.policy,
    });
  }

  /**
   * The file for a configured model: a file name in the models folder, or a path the admin chose
   * anywhere on disk. Validated as GGUF; throws ModelError with the reason otherwise.
   */
  async resolve(configured: string): Promise<string> {
    const path = /[\\/]/.test(configured) ? configured : this.store.pathFor(configured);
    await inspectGguf(path);
    return path;
  }
}
