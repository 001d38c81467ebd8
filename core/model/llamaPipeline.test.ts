// The pipeline suite on the embedded client: the real node-llama-cpp runtime (sampler, grammar,
// chat template, KV cache) on the tiny Qwen, its output steered per token to the scripted answers.

import { after, before } from 'node:test';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';
import { steeredPipelineSuite } from '../../test/support/steeredPipelineSuite.ts';
import { LlamaBreakdownEngine } from './llamaEngine.ts';
import { LlamaRuntime } from './runtime.ts';

let runtime: LlamaRuntime;
before(async () => {
  runtime = await LlamaRuntime.open({ gpu: false });
});
after(async () => {
  await runtime.dispose();
});

steeredPipelineSuite('embedded node-llama-cpp client', async ({ steer, config, parallel, contextSize }) => {
  const engine = await LlamaBreakdownEngine.create(
    {
      modelPath: tinyQwenPath(),
      load: { contextSize: contextSize ?? 2048, threads: 1, sequences: parallel ?? 1 },
      ...config,
      ...(config.sampling ? { sampling: config.sampling } : {}),
      parallelSections: config.parallelSections ?? parallel ?? 1,
      steer,
    },
    runtime,
  );
  return { engine, dispose: () => engine.dispose() };
});
