// The engine the backend runs with: the drafter until an admin loads a model, then Qwen on the
// embedded runtime or on an OpenAI-compatible inference server (vLLM, llama-server, Ollama), and
// back to the drafter on unload — without a restart. One StatusHub is shared
// by the runtime, downloads and this engine, so the status stream (SSE, tray) is continuous across
// switches. A generation in flight finishes on the engine it started with: a switch waits for
// running generations, and generations asked for during a switch wait for it to finish.
//
// node-llama-cpp is imported only when a runtime is first needed (a load or a hardware report), so
// a backend that never leaves the drafter (or uses a remote server) does not carry the model runtime
// in memory. The admin's remote choice is saved in the data folder (engine.json) and the server's
// API key in the secret store; neither the key nor page content is ever logged.

import type { Breakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import { DrafterEngine } from './drafterEngine.ts';
import { ModelError } from './modelStore.ts';
import { clientConfig, EngineChoiceFile, EngineConfigError } from './engineConfig.ts';
import type { EngineKind, RemoteEngineSettings } from './engineConfig.ts';
import type { LlamaBreakdownEngine, LlamaEngineConfig } from './llamaEngine.ts';
import type { HostPrivacy, OpenAiModelClient, ServerKind, ServerTestReport } from './openaiClient.ts';
import type { PipelineConfig } from './pipeline.ts';
import type { PipelineEngine } from './pipelineEngine.ts';
import type { HardwareInfo, LlamaRuntime } from './runtime.ts';
import { StatusHub } from './statusHub.ts';
import type { BreakdownEngine, GenerateOptions, ModelStatus, RemoteServerLabel } from './types.ts';

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
  /** How the remote engine generates (limits, language, sampling); parallel sections default to the server's limit. */
  remote?: PipelineConfig;
  /** Where the inference server's API key is kept (the product's secret store). */
  secrets?: { get(name: 'inferenceApiKey'): Promise<string | undefined>; set(name: 'inferenceApiKey', value: string): Promise<void>; delete(name: 'inferenceApiKey'): Promise<void> };
  /** The data folder: the admin's engine choice is saved there (engine.json); without it the choice lasts until restart. */
  dataDir?: string;
  /** The configuration (environment, flags) fixes the engine: the Models page shows it but cannot change it. */
  pinned?: boolean;
  /** HTTP client for the inference server (tests). */
  remoteFetch?: typeof fetch;
}

/** What the admin sees of the engine: its kind, its name and status, and the remote server's settings. */
export interface EngineView {
  kind: EngineKind;
  name: string;
  status: ModelStatus;
  /** The model file in use when the embedded engine is. */
  embedded: { name: string; path: string } | null;
  /** The remote server as configured (also while another engine is in use), never its API key. */
  remote: (RemoteEngineSettings & { apiKeySet: boolean; connected: boolean; serverKind: RemoteEngineSettings['serverKind']; detected?: ServerKind; contextTokens?: number; privacy?: HostPrivacy }) | null;
  /** The configuration fixes the engine; changes on the Models page are refused. */
  pinned: boolean;
}

interface RemoteEngine {
  settings: RemoteEngineSettings;
  client: OpenAiModelClient;
  engine: PipelineEngine;
}

const KIND_LABEL: Record<ServerKind, string> = { vllm: 'vLLM', 'llama-server': 'llama-server', ollama: 'Ollama', openai: 'OpenAI-compatible server' };
const remoteLabel = (client: OpenAiModelClient): RemoteServerLabel => ({ host: client.root.host, server: KIND_LABEL[client.server.kind] });

/** The server's label on the statuses that concern it (ready, generating, error); the others pass as they are. */
function withRemote(s: ModelStatus, remote: RemoteServerLabel): ModelStatus {
  return s.state === 'ready' || s.state === 'generating' || s.state === 'error' ? { ...s, remote } : s;
}

/** The status hub a remote engine reports to: every status it sets says which server it is. */
class RemoteStatusHub extends StatusHub {
  constructor(
    private readonly target: StatusHub,
    private readonly remote: RemoteServerLabel,
  ) {
    super(target.get());
  }
  override get(): ModelStatus {
    return this.target.get();
  }
  override set(next: ModelStatus): void {
    this.target.set(withRemote(next, this.remote));
  }
  override subscribe(listener: (s: ModelStatus) => void): () => void {
    return this.target.subscribe(listener);
  }
}

/** The host of a configured base URL, for the status (undefined when it is not a URL). */
function hostOf(baseUrl: string): string | undefined {
  try {
    return new URL(baseUrl).host || undefined;
  } catch {
    return undefined;
  }
}

export class SwitchableEngine implements BreakdownEngine {
  readonly hub: StatusHub;
  private readonly drafter = new DrafterEngine(DRAFTER_MESSAGE);
  private current: BreakdownEngine = this.drafter;
  private llama: LlamaBreakdownEngine | undefined;
  private remote: RemoteEngine | undefined;
  /** The remote settings last chosen (kept while the server is unreachable, so the admin sees and fixes them). */
  private remoteSettings: RemoteEngineSettings | undefined;
  private readonly choiceFile: EngineChoiceFile | undefined;
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
    this.choiceFile = options.dataDir ? new EngineChoiceFile(options.dataDir) : undefined;
  }

  get name(): string {
    return this.current.name;
  }

  /** This engine's model and kind can be changed at run time (BreakdownEngine.modelSwitching). */
  get modelSwitching(): SwitchableEngine {
    return this;
  }

  /** The engine in use: the drafter, Qwen on the embedded runtime, or an OpenAI-compatible server. */
  get kind(): EngineKind {
    if (this.remote && this.current === this.remote.engine) return 'openai';
    return this.current === this.drafter ? 'drafter' : 'embedded';
  }

  /** The model file in use, when Qwen on the embedded runtime is the engine. */
  get loadedModel(): { path: string; name: string } | undefined {
    if (this.current === this.drafter || !this.llama || this.current !== this.llama) return undefined;
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
    if (this.remote && this.current === this.remote.engine) {
      if (last.state === 'generating' && last.model === this.remote.client.model && this.inFlight.size > 0) return last;
      return this.remoteReady(this.remote);
    }
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
    if (this.options.pinned && this.remoteSettings) {
      return Promise.reject(new ModelError('in_use', 'The environment fixes the engine to the inference server (SPEC2TICKETS_ENGINE / SPEC2TICKETS_INFERENCE_URL); change it there and restart to use a model on this machine.'));
    }
    return this.switchEngine(async () => {
      if (this.disposed) throw new Error('The engine is shut down.');
      const runtime = await this.openRuntime();
      if (!this.llama) {
        const { LlamaBreakdownEngine } = await import('./llamaEngine.ts');
        this.llama = LlamaBreakdownEngine.forRuntime({ ...this.options.llama, modelPath }, runtime);
      }
      // The runtime disposes the old model before loading; until the new one is ready the drafter is the engine.
      this.current = this.drafter;
      this.remote = undefined;
      await this.llama.load(modelPath, this.options.llama?.load ?? {});
      this.current = this.llama;
      this.saveChoice({ kind: 'local' });
      return { name: this.llama.name, path: modelPath };
    });
  }

  /** Unloads the model (after running generations finish), leaves a remote server, and returns to the drafter. */
  unload(): Promise<void> {
    return this.switchEngine(async () => {
      this.current = this.drafter;
      this.remote = undefined;
      if (this.runtime && this.llama) await this.llama.runtime.unload();
      this.saveChoice({ kind: 'local' });
      this.hub.set({ state: 'absent', message: DRAFTER_MESSAGE });
    });
  }

  /** The 'ready' status of a remote engine: the server kind and host stand where the GPU would. */
  private remoteReady(r: RemoteEngine): ModelStatus {
    return { state: 'ready', model: r.client.model, gpu: `${KIND_LABEL[r.client.server.kind]} at ${r.client.root.host}`, remote: remoteLabel(r.client) };
  }

  private async apiKey(given: string | null | undefined): Promise<string | undefined> {
    if (typeof given === 'string') return given;
    if (given === null) return undefined;
    return this.options.secrets?.get('inferenceApiKey');
  }

  private saveChoice(choice: { kind: 'local' } | { kind: 'openai'; remote: RemoteEngineSettings }): void {
    if (this.options.pinned) return;
    this.choiceFile?.write(choice);
  }

  /** Refuses a change the configuration pins (environment or flag). */
  private assertChangeable(): void {
    if (this.options.pinned) {
      throw new EngineConfigError('The engine is fixed by the environment or a command-line flag (SPEC2TICKETS_ENGINE, SPEC2TICKETS_INFERENCE_URL, SPEC2TICKETS_INFERENCE_MODEL); change it there and restart.');
    }
  }

  /**
   * Makes an OpenAI-compatible inference server the engine: connects (server kind, models, context
   * size), and on success switches to it after the running generations, unloading an embedded
   * model to free memory. `apiKey`: a new key to save, null to remove the saved one, undefined to
   * keep it. A server that cannot be used leaves the engine as it was; the status says why.
   */
  useRemote(settings: RemoteEngineSettings, options: { apiKey?: string | null; save?: boolean } = {}): Promise<EngineView> {
    if (options.save !== false) this.assertChangeable();
    return this.switchEngine(async () => {
      if (this.disposed) throw new Error('The engine is shut down.');
      if (options.apiKey !== undefined && this.options.secrets) {
        if (options.apiKey === null) await this.options.secrets.delete('inferenceApiKey');
        else await this.options.secrets.set('inferenceApiKey', options.apiKey);
      }
      this.remoteSettings = settings;
      if (options.save !== false) this.saveChoice({ kind: 'openai', remote: settings });
      const { OpenAiModelClient } = await import('./openaiClient.ts');
      const { createPipelineEngine } = await import('./pipelineEngine.ts');
      let client: OpenAiModelClient;
      try {
        client = await OpenAiModelClient.connect(clientConfig(settings, await this.apiKey(options.apiKey), this.options.remoteFetch));
      } catch (err) {
        const message = `The inference server cannot be used: ${err instanceof Error ? err.message : String(err)}${this.current === this.drafter ? ' Breakdowns are drafted from the page structure meanwhile.' : ''}`;
        const host = hostOf(settings.baseUrl);
        this.hub.set({ state: 'error', message, ...(host ? { remote: { host, server: 'inference server' } } : {}) });
        throw err;
      }
      const remote: RemoteEngine = {
        settings,
        client,
        engine: createPipelineEngine(client, { parallelSections: settings.maxParallel, ...this.options.remote }, { status: new RemoteStatusHub(this.hub, remoteLabel(client)), readyStatus: () => this.remoteReady(remote), name: () => client.model }),
      };
      if (this.llama && this.current === this.llama) await this.llama.runtime.unload();
      this.remote = remote;
      this.current = remote.engine;
      this.hub.set(this.remoteReady(remote));
      return this.view();
    });
  }

  /** Leaves the remote server for this machine: the drafter until a model is loaded. */
  useLocal(): Promise<EngineView> {
    this.assertChangeable();
    return this.unload().then(() => this.view());
  }

  /** Connects to a server with these settings without switching (refused when the configuration pins the engine). */
  async checkRemote(settings: RemoteEngineSettings, apiKey?: string | null): Promise<void> {
    this.assertChangeable();
    const { OpenAiModelClient } = await import('./openaiClient.ts');
    await OpenAiModelClient.connect(clientConfig(settings, await this.apiKey(apiKey), this.options.remoteFetch));
  }

  /** Tests remote settings without switching: lists models, checks structured output, says whether the host is private. */
  async testRemote(settings: RemoteEngineSettings, apiKey?: string | null): Promise<ServerTestReport> {
    const { testServer } = await import('./openaiClient.ts');
    return testServer(clientConfig(settings, await this.apiKey(apiKey), this.options.remoteFetch));
  }

  /** The engine as the admin sees it (no instanceof checks needed by callers). */
  async viewWithKey(): Promise<EngineView> {
    const view = this.view();
    if (view.remote) {
      view.remote.apiKeySet = Boolean(await this.options.secrets?.get('inferenceApiKey'));
      const { hostPrivacy } = await import('./openaiClient.ts');
      view.remote.privacy = await hostPrivacy(view.remote.baseUrl).catch(() => undefined);
    }
    return view;
  }

  view(): EngineView {
    const settings = this.remote?.settings ?? this.remoteSettings;
    const connected = Boolean(this.remote && this.current === this.remote.engine);
    return {
      kind: this.kind,
      name: this.name,
      status: this.status(),
      embedded: this.loadedModel ?? null,
      remote: settings
        ? {
            ...settings,
            apiKeySet: false,
            connected,
            ...(this.remote ? { detected: this.remote.client.server.kind, contextTokens: this.remote.client.contextSize() } : {}),
          }
        : null,
      pinned: Boolean(this.options.pinned),
    };
  }

  /** Remembers remote settings without connecting (a saved choice whose server is down at start). */
  rememberRemote(settings: RemoteEngineSettings): void {
    this.remoteSettings = settings;
  }

  async dispose(): Promise<void> {
    await this.switchEngine(async () => {
      this.disposed = true;
      this.current = this.drafter;
      this.remote = undefined;
      const runtime = this.runtime;
      this.runtime = undefined;
      if (runtime) await (await runtime.catch(() => undefined))?.dispose();
    });
  }
}
