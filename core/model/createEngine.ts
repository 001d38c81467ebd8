// Chooses the engine from configuration: the drafter, Qwen on the embedded runtime (a model file),
// or the generation pipeline on an OpenAI-compatible inference server. `createEngine` builds one
// standalone engine (CLI, tests); `startEngine` puts the configured one into the product's
// switchable engine at start, honouring the admin's saved choice.

import { join } from 'node:path';
import { DrafterEngine } from './drafterEngine.ts';
import { clientConfig, EngineChoiceFile, engineChoicePinned, startEngineChoice } from './engineConfig.ts';
import type { RemoteEngineSettings } from './engineConfig.ts';
import type { LlamaEngineConfig } from './llamaEngine.ts';
import type { PipelineConfig } from './pipeline.ts';
import type { LlamaRuntime } from './runtime.ts';
import type { SwitchableEngine, SwitchableEngineOptions } from './switchableEngine.ts';
import type { BreakdownEngine } from './types.ts';
import type { Config, LoadedConfig } from '../config/config.ts';

export type EngineConfig =
  | { kind: 'drafter' }
  /** Qwen on the embedded node-llama-cpp runtime ('llama' is the older name of the same kind). */
  | ({ kind: 'embedded' | 'llama' } & LlamaEngineConfig)
  | ({ kind: 'openai'; apiKey?: string; pipeline?: PipelineConfig; fetch?: typeof fetch } & RemoteEngineSettings);

export async function createEngine(config: EngineConfig, runtime?: LlamaRuntime): Promise<BreakdownEngine> {
  switch (config.kind) {
    case 'drafter':
      return new DrafterEngine();
    case 'embedded':
    case 'llama': {
      const { kind: _kind, ...llama } = config;
      // Imported here so that choosing the drafter never loads the model runtime.
      const { LlamaBreakdownEngine } = await import('./llamaEngine.ts');
      return LlamaBreakdownEngine.create(llama, runtime);
    }
    case 'openai': {
      const { kind: _kind, apiKey, pipeline, fetch: fetchImpl, ...remote } = config;
      const { OpenAiModelClient } = await import('./openaiClient.ts');
      const { createPipelineEngine } = await import('./pipelineEngine.ts');
      const client = await OpenAiModelClient.connect(clientConfig(remote, apiKey, fetchImpl));
      return createPipelineEngine(client, { parallelSections: remote.maxParallel, ...pipeline });
    }
    default:
      void (config satisfies never);
      throw new TypeError('Unknown engine kind');
  }
}

/** The model file for a configured value: a file name means the data folder's models folder. */
function modelPath(model: string, dataDir: string): string {
  return /[\\/]/.test(model) ? model : join(dataDir, 'models', model);
}

export interface StartEngineOptions {
  log: { error(message: string, fields?: Record<string, unknown>): void; info?(message: string, fields?: Record<string, unknown>): void };
  /** Configuration keys set by flags or the environment (they win over the admin's saved choice). */
  pinned?: LoadedConfig['pinned'];
}

/**
 * Puts the configured engine into the switchable engine: the admin's saved choice (engine.json)
 * unless the environment pins the engine, else the configuration. An engine that cannot start
 * (a model that does not load, a server that does not answer) leaves the drafter in use with the
 * status saying why; a remote server's settings are kept so the Models page shows them to fix.
 */
export async function startEngine(engine: SwitchableEngine, config: Config, options: StartEngineOptions): Promise<void> {
  let saved;
  try {
    saved = new EngineChoiceFile(config.dataDir).read();
  } catch (err) {
    options.log.error('the saved engine choice is ignored', { message: (err as Error).message });
  }
  let choice;
  try {
    choice = startEngineChoice({ config, pinned: options.pinned ?? new Set() }, saved);
  } catch (err) {
    options.log.error('the configured engine cannot start; breakdowns are drafted until it is fixed', { message: (err as Error).message });
    engine.hub.set({ state: 'error', message: (err as Error).message });
    return;
  }
  switch (choice.kind) {
    case 'drafter':
      return;
    case 'embedded':
      try {
        await engine.load(modelPath(choice.model, config.dataDir));
      } catch (err) {
        options.log.error('the model did not load; breakdowns are drafted until one does', { model: choice.model, message: (err as Error).message });
      }
      return;
    case 'openai':
      try {
        await engine.useRemote(choice.remote, { save: false });
      } catch (err) {
        engine.rememberRemote(choice.remote);
        // The server's origin only: no key, no path beyond what the admin configured.
        options.log.error('the inference server cannot be used; breakdowns are drafted until it answers (Models page: Connect)', { server: new URL(choice.remote.baseUrl).origin, model: choice.remote.model, message: (err as Error).message });
      }
      return;
    default:
      void (choice satisfies never);
  }
}

/**
 * The product's engine (serve, the desktop app): switchable at run time between the drafter, the
 * embedded model and an inference server; started with the configured choice (see startEngine).
 * The admin's choice is saved in the data folder, the server's API key in the given secret store.
 */
export async function openProductEngine(loaded: Pick<LoadedConfig, 'config' | 'pinned'>, log: StartEngineOptions['log'], options: SwitchableEngineOptions = {}): Promise<SwitchableEngine> {
  const { SwitchableEngine } = await import('./switchableEngine.ts');
  const engine = new SwitchableEngine({ dataDir: loaded.config.dataDir, pinned: engineChoicePinned(loaded), ...options });
  await startEngine(engine, loaded.config, { log, pinned: loaded.pinned });
  return engine;
}
