// Which engine writes breakdowns, as configuration: the drafter, the embedded model, or an
// OpenAI-compatible inference server. The start choice comes from the configuration (flags,
// environment, config file: `engine`, `model`, `inference*`); the admin's later choice on the
// Models page is saved in the data folder (engine.json, owner-only) and wins at the next start unless
// the environment pins the engine. The server's API key is never stored here: it lives in the
// secret store (`inferenceApiKey`).

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { FIELD_SCHEMAS } from '../config/config.ts';
import type { Config, LoadedConfig } from '../config/config.ts';
import type { OpenAiClientConfig, ServerKind } from './openaiClient.ts';

export const ENGINE_KINDS = ['drafter', 'embedded', 'openai'] as const;
export type EngineKind = (typeof ENGINE_KINDS)[number];
export const SERVER_KINDS = ['auto', 'vllm', 'llama-server', 'ollama', 'openai'] as const satisfies readonly (ServerKind | 'auto')[];

/** The OpenAI-compatible server settings the admin edits (the API key travels separately). */
export const RemoteEngineSettingsSchema = z
  .object({
    baseUrl: FIELD_SCHEMAS.inferenceUrl,
    model: FIELD_SCHEMAS.inferenceModel,
    timeoutSeconds: z.number({ message: 'must be a whole number of seconds' }).int('must be a whole number of seconds').min(5, 'must be at least 5 seconds').max(3600, 'must be at most 3600 seconds').default(300),
    maxParallel: z.number({ message: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(256, 'must be at most 256').default(4),
    contextSize: z.number({ message: 'must be a whole number of tokens' }).int('must be a whole number of tokens').min(512, 'must be at least 512').max(1_048_576, 'must be at most 1048576').optional(),
    serverKind: z.enum(SERVER_KINDS, { message: `must be one of ${SERVER_KINDS.join(', ')}` }).default('auto'),
  })
  .strict();
export type RemoteEngineSettings = z.infer<typeof RemoteEngineSettingsSchema>;

export type EngineChoice = { kind: 'drafter' } | { kind: 'embedded'; model: string } | { kind: 'openai'; remote: RemoteEngineSettings };

/** Configuration keys that decide the engine; when the environment or a flag sets one, the Models page cannot change the engine. */
export const ENGINE_CONFIG_KEYS = ['engine', 'inferenceUrl', 'inferenceModel'] as const;

export class EngineConfigError extends Error {
  readonly code = 'invalid_engine_config';
  constructor(message: string) {
    super(message);
    this.name = 'EngineConfigError';
  }
}

/** The remote settings the configuration gives (inference* keys), when URL and model are both set. */
export function remoteSettingsFromConfig(config: Config): RemoteEngineSettings | undefined {
  if (!config.inferenceUrl || !config.inferenceModel) return undefined;
  return {
    baseUrl: config.inferenceUrl,
    model: config.inferenceModel,
    timeoutSeconds: config.inferenceTimeoutSeconds,
    maxParallel: config.inferenceMaxParallel,
    ...(config.inferenceContextSize ? { contextSize: config.inferenceContextSize } : {}),
    serverKind: config.inferenceServerKind,
  };
}

/** The engine the configuration asks for; a choice that lacks what it needs is an error naming the setting. */
export function engineChoiceFromConfig(config: Config): EngineChoice {
  const kind = config.engine ?? (config.model ? 'embedded' : 'drafter');
  switch (kind) {
    case 'drafter':
      return { kind };
    case 'embedded':
      if (!config.model) throw new EngineConfigError('The engine is "embedded" but no model is set: set SPEC2TICKETS_MODEL (or --model) to a .gguf file, or choose another engine.');
      return { kind, model: config.model };
    case 'openai': {
      const remote = remoteSettingsFromConfig(config);
      if (!remote) throw new EngineConfigError('The engine is "openai" but the inference server is not fully set: set SPEC2TICKETS_INFERENCE_URL and SPEC2TICKETS_INFERENCE_MODEL (the API key, if the server needs one, in SPEC2TICKETS_INFERENCE_API_KEY).');
      return { kind, remote };
    }
    default:
      void (kind satisfies never);
      throw new EngineConfigError('Unknown engine kind.');
  }
}

/** The client configuration for remote settings and the key from the secret store. */
export function clientConfig(remote: RemoteEngineSettings, apiKey: string | undefined, fetchImpl?: typeof fetch): OpenAiClientConfig {
  return {
    baseUrl: remote.baseUrl,
    model: remote.model,
    timeoutMs: remote.timeoutSeconds * 1000,
    maxParallel: remote.maxParallel,
    serverKind: remote.serverKind,
    ...(remote.contextSize ? { contextSize: remote.contextSize } : {}),
    ...(apiKey ? { apiKey } : {}),
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  };
}

/** What the admin chose on the Models page: a remote server, or this machine (the embedded model or the drafter). */
const SavedChoiceSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('openai'), remote: RemoteEngineSettingsSchema }), z.object({ kind: z.literal('local') })]);
export type SavedEngineChoice = z.infer<typeof SavedChoiceSchema>;

/** engine.json in the data folder: the admin's engine choice, readable by the owner only. */
export class EngineChoiceFile {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'engine.json');
  }

  /** The saved choice; undefined when none was saved. A damaged file is an error naming it. */
  read(): SavedEngineChoice | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new EngineConfigError(`The saved engine choice ${this.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'}); fix its permissions or delete it.`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new EngineConfigError(`The saved engine choice ${this.path} is not valid JSON; delete it and choose the engine again on the Models page.`);
    }
    const r = SavedChoiceSchema.safeParse(parsed);
    if (!r.success) throw new EngineConfigError(`The saved engine choice ${this.path} is invalid (${r.error.issues[0]?.path.join('.') ?? ''} ${r.error.issues[0]?.message ?? ''}); delete it and choose the engine again on the Models page.`);
    return r.data;
  }

  write(choice: SavedEngineChoice): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(choice, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}

/**
 * The engine to start with: the admin's saved choice, unless the environment or a flag pins the
 * engine (then the configuration decides), else the configuration.
 */
export function startEngineChoice(loaded: Pick<LoadedConfig, 'config' | 'pinned'>, saved: SavedEngineChoice | undefined): EngineChoice {
  const pinned = ENGINE_CONFIG_KEYS.some((k) => loaded.pinned.has(k));
  if (saved && !pinned) {
    if (saved.kind === 'openai') return saved;
    // Back on this machine: the embedded model if one is configured (the Models page's saved model loads separately).
    const fromConfig = engineChoiceFromConfig({ ...loaded.config, engine: loaded.config.engine === 'openai' ? undefined : loaded.config.engine });
    return fromConfig;
  }
  return engineChoiceFromConfig(loaded.config);
}

/** Whether the engine may be changed from the Models page (not when the environment or a flag fixes it). */
export function engineChoicePinned(loaded: Pick<LoadedConfig, 'pinned'>): boolean {
  return ENGINE_CONFIG_KEYS.some((k) => loaded.pinned.has(k));
}
