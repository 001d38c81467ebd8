// The steered pipeline suite (test/support/steeredPipelineSuite.ts) on the OpenAI-compatible
// client: the test server forces each scripted answer through the real runtime behind HTTP, so
// cut-off, unusable, looping and wrong-language answers reach the pipeline as a remote server
// would deliver them (finish_reason "length", strict JSON-schema output, repeat penalty sent).

import { steeredPipelineSuite } from '../../test/support/steeredPipelineSuite.ts';
import { startOpenAiTestServer } from '../../test/support/openaiServer.ts';
import { OpenAiModelClient } from './openaiClient.ts';
import { createPipelineEngine } from './pipelineEngine.ts';

steeredPipelineSuite('OpenAI-compatible client', async ({ steer, config, parallel, contextSize }) => {
  const server = await startOpenAiTestServer({ flavor: 'llama-server', contextSize: contextSize ?? 2048, sequences: parallel ?? 1, steer });
  const client = await OpenAiModelClient.connect({ baseUrl: `${server.url}/v1`, model: server.modelName, maxParallel: parallel ?? 1 });
  const engine = createPipelineEngine(client, { ...config, parallelSections: config.parallelSections ?? parallel ?? 1 });
  return {
    engine,
    dispose: async () => {
      await engine.dispose();
      await server.close();
    },
  };
});
