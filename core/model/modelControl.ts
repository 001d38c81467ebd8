// Model management as the admin sees it: hardware, catalogue with this machine's suggestion, the
// models folder, one background download at a time, import, delete, load and unload. It drives the
// switchable engine and the models folder, and saves the chosen model through the `persist`
// collaborator so the next start loads it again. Failures are ModelErrors with actionable messages;
// the engine keeps serving (the drafter) and the status says what went wrong.

import { homedir, tmpdir } from 'node:os';
import { basename, isAbsolute, relative } from 'node:path';
import { realpath, stat } from 'node:fs/promises';
import { MODEL_CATALOGUE, DEFAULT_CONTEXT_TOKENS, findCatalogueModel, suggestModel } from './catalogue.ts';
import type { CatalogueModel, Suggestion } from './catalogue.ts';
import type { DownloadProgress } from './download.ts';
import { ModelManager } from './manager.ts';
import { ModelError } from './modelStore.ts';
import type { StoredModel } from './modelStore.ts';
import type { HardwareInfo } from './runtime.ts';
import type { SwitchableEngine } from './switchableEngine.ts';
import type { ModelStatus } from './types.ts';

export interface DownloadView {
  /** Catalogue id or the URL asked for. */
  source: string;
  fileName: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  percent: number;
  downloadedBytes: number;
  totalBytes: number;
  startedAt: string;
  finishedAt?: string;
  /** Why it failed or was cancelled. */
  message?: string;
}

export interface CatalogueView {
  models: readonly CatalogueModel[];
  suggestion: { id: CatalogueModel['id']; fits: boolean; reason: string };
  /** Why the suggestion could not use this machine's VRAM, when the runtime could not start. */
  note?: string;
}

export interface InstalledView {
  models: StoredModel[];
  /** File name of the model in use, or null when the drafter is. */
  loaded: string | null;
  dir: string;
}

export interface ModelControlOptions {
  engine: SwitchableEngine;
  /** The application's data folder; models live in its `models/` folder. */
  dataDir: string;
  /** Saves the model to load at the next start (a file name in the models folder), or clears it. */
  persist?: (model: string | undefined) => Promise<void>;
  fetch?: typeof fetch;
  now?: () => Date;
  /** Hosts the admin allows model downloads from besides Hugging Face's. */
  downloadHosts?: readonly string[];
  /** Folders model files may be imported from; default: the home folder and the system's temporary folder. */
  importDirs?: readonly string[];
}

export class ModelControl {
  readonly manager: ModelManager;
  readonly engine: SwitchableEngine;
  private readonly persist: (model: string | undefined) => Promise<void>;
  private readonly now: () => Date;
  private current: { view: DownloadView; controller: AbortController; done: Promise<void> } | undefined;
  private last: DownloadView | undefined;
  private readonly downloadHosts: readonly string[];
  private readonly importDirs: readonly string[];
  private readonly fetchImpl: typeof fetch | undefined;

  constructor(o: ModelControlOptions) {
    this.engine = o.engine;
    this.manager = new ModelManager({ dataDir: o.dataDir, status: o.engine.hub, fetch: o.fetch });
    this.persist = o.persist ?? (async () => {});
    this.now = o.now ?? (() => new Date());
    this.downloadHosts = o.downloadHosts ?? [];
    this.fetchImpl = o.fetch;
    this.importDirs = o.importDirs?.length ? o.importDirs : [homedir(), tmpdir()];
  }

  hardware(): Promise<HardwareInfo> {
    return this.engine.hardware();
  }

  async catalogue(contextTokens = DEFAULT_CONTEXT_TOKENS): Promise<CatalogueView> {
    let free = 0;
    let note: string | undefined;
    try {
      free = (await this.engine.hardware()).vram.free;
    } catch (err) {
      note = `The hardware could not be read (${err instanceof Error ? err.message : String(err)}); the suggestion assumes no GPU.`;
    }
    const s: Suggestion = suggestModel({ free }, contextTokens);
    return { models: MODEL_CATALOGUE, suggestion: { id: s.model.id, fits: s.fits, reason: s.reason }, ...(note ? { note } : {}) };
  }

  async installed(): Promise<InstalledView> {
    const models = await this.manager.list();
    return { models, loaded: this.engine.loadedModel?.name ?? null, dir: this.manager.store.dir };
  }

  /** The running download, else the last one (until the next starts). */
  download(): DownloadView | null {
    return this.current?.view ?? this.last ?? null;
  }

  /**
   * Starts downloading a catalogue model (by id) or a GGUF at an http(s) URL, in the background.
   * Progress shows in the model status; a second download while one runs is refused ('busy').
   */
  startDownload(source: { id: string } | { url: string; fileName?: string }): DownloadView {
    if (this.current) {
      throw new ModelError('busy', `${this.current.view.fileName} is still downloading (${this.current.view.percent.toFixed(0)}%); wait for it or cancel it first.`);
    }
    let idOrSource: string;
    let fileName: string;
    if ('id' in source) {
      const entry = findCatalogueModel(source.id);
      if (!entry) throw new ModelError('not_found', `There is no catalogue model "${source.id}"; choose one of ${MODEL_CATALOGUE.map((m) => m.id).join(', ')}.`);
      idOrSource = entry.id;
      fileName = entry.fileName;
    } else {
      idOrSource = source.url;
      fileName = source.fileName ?? (decodeURIComponent(new URL(source.url).pathname.split('/').filter(Boolean).at(-1) ?? 'model.gguf'));
      if (!fileName.toLowerCase().endsWith('.gguf')) fileName += '.gguf';
    }
    this.manager.store.pathFor(fileName);
    const controller = new AbortController();
    const view: DownloadView = { source: 'id' in source ? source.id : source.url, fileName, state: 'running', percent: 0, downloadedBytes: 0, totalBytes: 0, startedAt: this.now().toISOString() };
    const onProgress = (p: DownloadProgress): void => {
      view.percent = Math.round(p.percent * 10) / 10;
      view.downloadedBytes = p.downloadedBytes;
      view.totalBytes = p.totalBytes;
    };
    // Once the download ends the status is the engine's as it is then, not as it was when the
    // download started: a model loaded or unloaded meanwhile must show. Why a download failed stays
    // in the download view (GET /api/model/download, the Models page), not in the engine's status.
    const settle = (): ModelStatus => this.engine.settledStatus();
    const download = 'id' in source ? this.manager.download(idOrSource, { signal: controller.signal, onProgress, settle, policy: { extraHosts: this.downloadHosts } }) : this.downloadUrl(idOrSource, fileName, controller.signal, onProgress, settle);
    const done = download.then(
      () => {
        view.state = 'done';
        view.percent = 100;
      },
      (err: unknown) => {
        view.state = controller.signal.aborted ? 'cancelled' : 'failed';
        view.message = err instanceof Error ? err.message : String(err);
      },
    ).finally(() => {
      view.finishedAt = this.now().toISOString();
      this.last = view;
      this.current = undefined;
    });
    this.current = { view, controller, done };
    return view;
  }

  private downloadUrl(url: string, fileName: string, signal: AbortSignal, onProgress: (p: DownloadProgress) => void, settle: () => ModelStatus): Promise<StoredModel> {
    // ModelManager.download names the file after the URL; an explicit name goes through the lower-level call.
    return import('./download.ts').then(({ downloadModel }) =>
      downloadModel(this.manager.store, { source: url, fileName, signal, onProgress, status: this.manager.status, settle, fetch: this.fetchImpl, policy: { extraHosts: this.downloadHosts } }),
    );
  }

  /** Cancels the running download (its partial file is kept for a resume); resolves when it has stopped. */
  async cancelDownload(): Promise<DownloadView> {
    const cur = this.current;
    if (!cur) throw new ModelError('not_found', 'No download is running.');
    cur.controller.abort();
    await cur.done;
    return cur.view;
  }

  /** Resolves when the running download (if any) has finished, failed or been cancelled. */
  async downloadSettled(): Promise<void> {
    await this.current?.done;
  }

  /** Copies a .gguf file from anywhere on this machine into the models folder, after validating it. */
  async importFile(path: string): Promise<StoredModel> {
    if (!path.toLowerCase().endsWith('.gguf')) {
      throw new ModelError('not_gguf', `Only .gguf model files can be imported; ${basename(path)} does not end in .gguf.`);
    }
    // Inside a folder the admin allows, after following links (a link must not lead elsewhere).
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw new ModelError('not_found', `Model file not found: ${path}. Check the path, or download the model instead.`);
    }
    const inside = await Promise.all(
      this.importDirs.map(async (dir) => {
        const root = await realpath(dir).catch(() => undefined);
        if (!root) return false;
        const rel = relative(root, real);
        return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
      }),
    );
    if (!inside.some(Boolean) || !real.toLowerCase().endsWith('.gguf')) {
      throw new ModelError('outside_folder', `Models can be imported from ${this.importDirs.join(', ')} only (a .gguf file, links followed). Move the file there, or have an admin add its folder to SPEC2TICKETS_MODEL_IMPORT_DIRS.`);
    }
    return this.manager.import(real, { fileName: basename(path) });
  }

  /** Deletes a model from the folder; the model in use is refused. */
  async delete(name: string): Promise<void> {
    const path = this.manager.store.pathFor(name);
    const loaded = this.engine.loadedModel;
    if (loaded && loaded.path === path) {
      throw new ModelError('in_use', `${loaded.name} is the model in use; unload it (or load another) before deleting it.`);
    }
    if (this.current && this.manager.store.pathFor(this.current.view.fileName) === path) {
      throw new ModelError('busy', `${this.current.view.fileName} is downloading; cancel the download before deleting it.`);
    }
    await this.manager.delete(name);
  }

  /** Loads a model from the folder by file name, makes it the engine and saves the choice. */
  async load(name: string): Promise<{ name: string; path: string }> {
    const path = this.manager.store.pathFor(name);
    try {
      await stat(path);
    } catch {
      throw new ModelError('not_found', `No model ${basename(path)} in the models folder ${this.manager.store.dir}; import or download it first.`);
    }
    const loaded = await this.engine.load(path);
    await this.persist(basename(path));
    return loaded;
  }

  /** Back to the drafter; the saved choice is cleared so the next start uses the drafter too. */
  async unload(): Promise<void> {
    await this.engine.unload();
    await this.persist(undefined);
  }

  async dispose(): Promise<void> {
    if (this.current) {
      this.current.controller.abort();
      await this.current.done;
    }
  }
}
