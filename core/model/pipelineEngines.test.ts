// The pipeline suite (test/support/pipelineSuite.ts) against both engines: Qwen on the embedded
// runtime, and the same pipeline on an OpenAI-compatible server (the test server on the same tiny
// model, reached over HTTP with strict JSON-schema output). Both runtimes are steered to the
// cooperative answers of test/support/scriptedModel.ts — forced token by token through the real
// sampler, grammar and chat template — so a corpus page takes seconds instead of the minutes random
// weights need, and both engines are asked the same.

import { pipelineSuite, SUITE_LIMITS, SUITE_PARALLEL } from '../../test/support/pipelineSuite.ts';
import { cooperativeAnswer } from '../../test/support/scriptedModel.ts';
import { startOpenAiTestServer } from '../../test/support/openaiServer.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';
import { LlamaBreakdownEngine } from './llamaEngine.ts';
import { OpenAiModelClient } from './openaiClient.ts';
import { createPipelineEngine } from './pipelineEngine.ts';
import { LlamaRuntime } from './runtime.ts';

pipelineSuite('embedded', async () => {
  const runtime = await LlamaRuntime.open({ gpu: false });
  const engine = await LlamaBreakdownEngine.create(
    { modelPath: tinyQwenPath(), load: { contextSize: 4096, threads: 1, sequences: SUITE_PARALLEL }, limits: SUITE_LIMITS, parallelSections: SUITE_PARALLEL, seed: 7, steer: cooperativeAnswer },
    runtime,
  );
  return {
    engine,
    idle: async () => undefined,
    close: async () => {
      await engine.dispose();
      await runtime.dispose();
    },
  };
});

pipelineSuite('OpenAI-compatible server', async () => {
  const server = await startOpenAiTestServer({ flavor: 'llama-server', contextSize: 4096, sequences: SUITE_PARALLEL, steer: cooperativeAnswer });
  const client = await OpenAiModelClient.connect({ baseUrl: `${server.url}/v1`, model: server.modelName, maxParallel: SUITE_PARALLEL });
  const engine = createPipelineEngine(client, { limits: SUITE_LIMITS, parallelSections: SUITE_PARALLEL, sampling: { temperature: 0, seed: 7 } });
  return {
    engine,
    idle: () => server.idle(),
    close: async () => {
      await engine.dispose();
      await server.close();
    },
  };
});
