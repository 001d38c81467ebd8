// Remote engine benchmark: the generation pipeline on an OpenAI-compatible server (the test server:
// the tiny Qwen on node-llama-cpp behind llama-server's HTTP API, with JSON-schema grammars and one
// context sequence per parallel slot), steered to the cooperative answers of the test suite so the
// tokens are those a trained model agreeing with the prompt would write.
// (1) pipeline wall time ÷ time inside model calls (HTTP round trips included) per page — the
//     pipeline's own overhead on a remote engine (goal ≤ 1.10);
// (2) throughput with 1, 2 and 4 parallel requests: whole pages, and a burst of equal section
//     requests straight through the client.
// On this 2-core CPU the server's parallel slots share the cores, so parallel gains are small here;
// on a GPU server (vLLM, llama-server) the slots are batched.

import { parseSpec } from '../core/spec/index.ts';
import type { SpecDocument } from '../core/spec/types.ts';
import { OpenAiModelClient } from '../core/model/openaiClient.ts';
import { createPipelineEngine } from '../core/model/pipelineEngine.ts';
import { loadCorpusPage } from '../test/corpus/index.ts';
import { startOpenAiTestServer } from '../test/support/openaiServer.ts';
import { cooperativeAnswer } from '../test/support/scriptedModel.ts';

const f2 = (n: number): string => n.toFixed(2);
const page = (name: string): SpecDocument => {
  const { page: p, content } = loadCorpusPage(name);
  return parseSpec(content, { format: p.format });
};
const limits = { epicsMax: 3, storiesMax: 3, subtasksMax: 2, titleMax: 40, descriptionMax: 60, criteriaMax: 2, criterionMax: 40, sourcesMax: 3 };
const pages = ['prd-checkout', 'tech-spec-export'];

const server = await startOpenAiTestServer({ flavor: 'llama-server', contextSize: 4096, sequences: 4, steer: cooperativeAnswer });
try {
  console.log('(1)+(2) pipeline on the remote engine, per page and parallel requests');
  console.log('page                       parallel  wall s  model s  wall÷model  requests  out tok  pages/min  out tok/s');
  const ratios: number[] = [];
  for (const parallel of [1, 2, 4]) {
    const client = await OpenAiModelClient.connect({ baseUrl: `${server.url}/v1`, model: server.modelName, maxParallel: parallel });
    const engine = createPipelineEngine(client, { limits, parallelSections: parallel, sampling: { temperature: 0, seed: 7 } });
    for (const name of pages) {
      const doc = page(name);
      await engine.generate(doc);
      const s = engine.lastStats!;
      const ratio = s.wallMs / Math.max(1, s.modelMs);
      ratios.push(ratio);
      console.log(
        `${name.padEnd(26)} ${String(parallel).padStart(8)}  ${f2(s.wallMs / 1000).padStart(6)}  ${f2(s.modelMs / 1000).padStart(7)}  ${f2(ratio).padStart(10)}  ${String(s.requests).padStart(8)}  ${String(s.outputTokens).padStart(7)}  ${f2(60_000 / s.wallMs).padStart(9)}  ${f2((s.outputTokens * 1000) / s.wallMs).padStart(9)}`,
      );
    }
    await engine.dispose();
  }
  console.log(`worst wall ÷ model: ${f2(Math.max(...ratios))} (goal ≤ 1.10)`);

  console.log('\n(2) a burst of 8 equal section requests through the client');
  const doc = page('prd-checkout');
  const schema = { type: 'object', properties: { stories: { type: 'array', maxItems: 2, items: { type: 'object', properties: { title: { type: 'string', maxLength: 40 }, desc: { type: 'string', maxLength: 60 } } } } } };
  const answer = JSON.stringify({ stories: [{ title: 'Pay with a saved card', desc: 'The shopper pays with a card saved before.' }, { title: 'Show the order total', desc: 'Taxes and shipping are included.' }] });
  const steerServer = await startOpenAiTestServer({ flavor: 'llama-server', contextSize: 4096, sequences: 4, steer: () => answer });
  try {
    console.log('parallel  wall s  requests/s  out tok/s');
    for (const parallel of [1, 2, 4]) {
      const client = await OpenAiModelClient.connect({ baseUrl: `${steerServer.url}/v1`, model: steerServer.modelName, maxParallel: parallel });
      const messages = [
        { role: 'system' as const, content: 'You split specifications into stories. Answer with JSON only.' },
        { role: 'user' as const, content: doc.blocks.slice(0, 12).map((b) => b.text).join('\n') },
      ];
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 8 }, () => client.complete({ messages, schema, maxTokens: 200, purpose: 'section' })));
      const wall = performance.now() - started;
      const out = results.reduce((n, r) => n + r.tokensOut, 0);
      console.log(`${String(parallel).padStart(8)}  ${f2(wall / 1000).padStart(6)}  ${f2((8 * 1000) / wall).padStart(10)}  ${f2((out * 1000) / wall).padStart(9)}`);
    }
  } finally {
    await steerServer.close();
  }
} finally {
  await server.close();
}
