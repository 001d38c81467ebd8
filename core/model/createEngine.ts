// Chooses the engine from configuration: the embedded Qwen engine when a model file is configured,
// otherwise the drafter. A remote OpenAI-compatible server would be a third `kind` here.

import { DrafterEngine } from './drafterEngine.ts';
import type { LlamaEngineConfig } from './llamaEngine.ts';
import type { LlamaRuntime } from './runtime.ts';
import type { BreakdownEngine } from './types.ts';

export type EngineConfig = { kind: 'drafter' } | ({ kind: 'llama' } & LlamaEngineConfig);

export async function createEngine(config: EngineConfig, runtime?: LlamaRuntime): Promise<BreakdownEngine> {
  switch (config.kind) {
    case 'drafter':
      return new DrafterEngine();
    case 'llama': {
      const { kind: _kind, ...llama } = config;
      // Imported here so that choosing the drafter never loads the model runtime.
      const { LlamaBreakdownEngine } = await import('./llamaEngine.ts');
      return LlamaBreakdownEngine.create(llama, runtime);
    }
    default:
      void (config satisfies never);
      throw new TypeError('Unknown engine kind');
  }
}
