// The engine contract: what the backend, the tray and the renderer see of "the model".
// Implemented by the embedded node-llama-cpp engine, by the drafter (no model configured),
// and later by a remote OpenAI-compatible server.

import type { Breakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { SwitchableEngine } from './switchableEngine.ts';

/**
 * The OpenAI-compatible inference server the engine uses, as people may see it: its host (never
 * the URL's path or credentials, never the API key) and what kind of server it is ("vLLM").
 */
export interface RemoteServerLabel {
  host: string;
  server: string;
}

/** `remote`: the model runs on that inference server, not on this machine (the tray and logs say so). */
export type ModelStatus =
  | { state: 'absent'; message?: string }
  | { state: 'downloading'; model: string; percent: number; bytesPerSecond?: number; etaSeconds?: number }
  | { state: 'loading'; model: string; percent: number }
  | { state: 'ready'; model: string; gpu: string | false; /** What had to give way to fit memory (fewer GPU layers, smaller context). */ note?: string; remote?: RemoteServerLabel }
  | { state: 'generating'; model: string; queueDepth: number; tokensPerSecond: number; remote?: RemoteServerLabel }
  | { state: 'error'; message: string; remote?: RemoteServerLabel };

export interface GenerationProgress {
  /** 1-based index of the section being generated, and how many there are. */
  section: number;
  sections: number;
  tokens: number;
  phase: 'outline' | 'sections' | 'coverage' | 'done';
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onProgress?: (p: GenerationProgress) => void;
  /** Per-job timeout in milliseconds. */
  timeoutMs?: number;
  /** Language to write the breakdown in; default: the engine's configured one, else the page's own. */
  language?: string;
}

export interface BreakdownEngine {
  /** Short name for logs and the generator field ("drafter", "qwen2.5-7b-instruct-q4_k_m.gguf"). */
  readonly name: string;
  status(): ModelStatus;
  /** Subscribe to status changes; returns the unsubscribe function. */
  onStatus(listener: (s: ModelStatus) => void): () => void;
  generate(doc: SpecDocument, options?: GenerateOptions): Promise<Breakdown>;
  dispose(): Promise<void>;
  /**
   * Present when an admin can change the engine at run time (load, import or download a model,
   * switch to a remote server): the Models page's controls work through it. A fixed engine (the
   * drafter alone, one embedded model in tests) leaves it out, and the product shows no controls.
   */
  readonly modelSwitching?: SwitchableEngine;
}
