import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOpenAiTestServer } from '../../test/support/openaiServer.ts';
import type { OpenAiTestServer } from '../../test/support/openaiServer.ts';
import { InferenceServerError, OpenAiModelClient, hostPrivacy, retryAfterMs, schemaProblems, serverRoot, strictJsonSchema, testServer } from './openaiClient.ts';
import type { OpenAiClientConfig } from './openaiClient.ts';
import type { CompletionRequest } from './modelClient.ts';

const SYSTEM = 'You write short JSON answers.';
const small = { type: 'object', properties: { t: { type: 'string', minLength: 1, maxLength: 6 }, p: { enum: ['High', 'Low'] } } } as const;
const ask = (extra: Partial<CompletionRequest> = {}): CompletionRequest => ({
  messages: [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: 'Name one story about CSV export.' },
  ],
  schema: small,
  maxTokens: 48,
  purpose: 'section',
  ...extra,
});

const isError = (code: string, also?: RegExp) => (e: unknown) => e instanceof InferenceServerError && e.code === code && (!also || also.test(e.message));

describe('JSON schema handling', () => {
  test('every object gets all its properties required and no additional ones, nested ones too', () => {
    const strict = strictJsonSchema({ type: 'object', properties: { a: { type: 'array', items: { type: 'object', properties: { x: { enum: ['properties'] }, y: { type: 'string' } } } }, b: { type: 'string' } } });
    assert.deepEqual(strict, {
      type: 'object',
      properties: {
        a: { type: 'array', items: { type: 'object', properties: { x: { enum: ['properties'] }, y: { type: 'string' } }, required: ['x', 'y'], additionalProperties: false } },
        b: { type: 'string' },
      },
      required: ['a', 'b'],
      additionalProperties: false,
    });
  });

  test('answers are checked against the schema: types, enums, lengths in characters, items, missing and extra keys', () => {
    const schema = strictJsonSchema({ type: 'object', properties: { t: { type: 'string', maxLength: 3 }, s: { type: 'array', maxItems: 1, items: { enum: [1, 2] } } } });
    assert.deepEqual(schemaProblems({ t: '😀😀😀', s: [1] }, schema), [], 'three emoji are three characters');
    assert.deepEqual(schemaProblems({ t: 'abcd', s: [3, 1], x: 1 }, schema), ['$.t is longer than 3 characters', '$.s has more than 1 items', '$.s[0] must be one of 1, 2', '$.x is not in the schema']);
    assert.deepEqual(schemaProblems({ s: [] }, schema), ['$.t is missing']);
    assert.deepEqual(schemaProblems('x', schema), ['$ must be an object, not string']);
  });

  test('the base URL may carry /v1; credentials in it and other schemes are refused', () => {
    assert.equal(serverRoot('http://gpu:8000/v1/').href, 'http://gpu:8000/');
    assert.equal(serverRoot('https://proxy.example/llm/v1').pathname, '/llm');
    assert.throws(() => serverRoot('ftp://gpu/v1'), isError('invalid_config'));
    assert.throws(() => serverRoot('http://user:secret@gpu/v1'), (e) => isError('invalid_config')(e) && !/secret/.test((e as Error).message));
  });

  test('Retry-After is read as seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs('soon'), undefined);
  });

  test('privacy: loopback and private networks pass, a public host is warned about, plain http on the network too', async () => {
    assert.deepEqual(await hostPrivacy('http://127.0.0.1:8000/v1'), { scope: 'loopback' });
    assert.deepEqual(await hostPrivacy('http://localhost:11434'), { scope: 'loopback' });
    assert.deepEqual(await hostPrivacy('https://10.1.2.3/v1'), { scope: 'private' });
    assert.deepEqual(await hostPrivacy('https://gpu.corp.example/v1', async () => ['192.168.4.7']), { scope: 'private' });
    assert.match((await hostPrivacy('http://gpu.corp.example/v1', async () => ['172.20.0.9'])).warning ?? '', /unencrypted/);
    const pub = await hostPrivacy('https://api.example.com/v1', async () => ['93.184.216.34']);
    assert.equal(pub.scope, 'public');
    assert.match(pub.warning ?? '', /leave your infrastructure/);
    assert.equal((await hostPrivacy('https://mixed.example/v1', async () => ['10.0.0.1', '8.8.8.8'])).scope, 'public');
    assert.equal((await hostPrivacy('https://[fd00::1]/v1')).scope, 'private');
  });
});

describe('OpenAI-compatible client against a llama-server', () => {
  let server: OpenAiTestServer;
  const config = (): OpenAiClientConfig => ({ baseUrl: `${server.url}/v1`, model: server.modelName, apiKey: 'sk-test-key-123', retryBaseMs: 20 });

  before(async () => {
    server = await startOpenAiTestServer({ flavor: 'llama-server', apiKey: 'sk-test-key-123', contextSize: 2048, sequences: 4 });
  });
  after(async () => {
    await server?.close();
  });

  test('connects: the server kind, its context size and its tokenizer', async () => {
    const client = await OpenAiModelClient.connect(config());
    assert.equal(client.server.kind, 'llama-server');
    assert.equal(client.contextSize(), 2048);
    const n = await client.countTokens('Users must export orders as CSV.');
    assert.ok(n > 3 && n < 20, `${n} tokens`);
    assert.equal(await client.countTokens('多语言'), await client.countTokens('多语言'));
    const smaller = await OpenAiModelClient.connect({ ...config(), contextSize: 1024 });
    assert.equal(smaller.contextSize(), 1024, 'configuration may ask for less than the server offers');
  });

  test('a completion follows the schema and reports tokens; the request carries the strict schema, the key and the system prompt first', async () => {
    server.resetStats();
    const client = await OpenAiModelClient.connect(config());
    const r = await client.complete(ask());
    assert.equal(r.stopReason, 'stop');
    const value = JSON.parse(r.text) as { t: string; p: string };
    assert.deepEqual(schemaProblems(value, strictJsonSchema(small)), []);
    assert.ok(r.tokensIn > 10 && r.tokensOut > 3, `${r.tokensIn} in, ${r.tokensOut} out`);
    assert.ok(r.ms > 0);
    const body = server.stats.bodies.at(-1)!;
    assert.deepEqual(body.response_format, { type: 'json_schema', json_schema: { name: 'section', strict: true, schema: strictJsonSchema(small) } });
    assert.equal(body.cache_prompt, true);
    assert.equal((body.messages as { role: string; content: string }[])[0]!.content, SYSTEM);
    assert.deepEqual(server.stats.authorizations, ['Bearer sk-test-key-123']);
  });

  test('an answer cut off by the token limit ends with stopReason maxTokens', async () => {
    const client = await OpenAiModelClient.connect(config());
    const r = await client.complete(ask({ schema: { type: 'object', properties: { t: { type: 'string', minLength: 40, maxLength: 60 } } }, maxTokens: 4 }));
    assert.equal(r.stopReason, 'maxTokens');
    assert.equal(r.tokensOut, 4);
  });

  test('503 and 429 are retried with backoff, honouring Retry-After', async () => {
    const client = await OpenAiModelClient.connect(config());
    server.resetStats();
    server.faults.failNext.push({ status: 503, retryAfter: '1' }, { status: 429 });
    const started = Date.now();
    const r = await client.complete(ask());
    const took = Date.now() - started;
    assert.equal(r.stopReason, 'stop');
    assert.equal(server.stats.requests, 3);
    assert.ok(took >= 1000, `waited ${took} ms, Retry-After asked for 1 s`);
  });

  test('retries are bounded: a long Retry-After is capped, and a server that stays overloaded gives a clear error', async () => {
    const client = await OpenAiModelClient.connect({ ...config(), maxRetries: 2, maxRetryDelayMs: 100 });
    server.faults.failNext.push({ status: 429, retryAfter: '3600' });
    const started = Date.now();
    assert.equal((await client.complete(ask({ schema: { type: 'object', properties: { p: { enum: ['High', 'Low'] } } } }))).stopReason, 'stop');
    assert.ok(Date.now() - started < 60_000, `Retry-After of an hour capped: answered after ${Date.now() - started} ms`);
    server.resetStats();
    server.faults.failNext.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    await assert.rejects(client.complete(ask()), isError('overloaded', /overloaded \(HTTP 503 3 times in a row/));
    assert.equal(server.stats.requests, 3);
    server.faults.failNext.length = 0;
  });

  test('a wrong API key is a clear error that does not quote the key', async () => {
    await assert.rejects(OpenAiModelClient.connect({ ...config(), apiKey: 'sk-wrong-secret' }), (e) => isError('unauthorized', /refused the API key \(HTTP 401\)/)(e) && !/sk-wrong-secret/.test((e as Error).message));
  });

  test('cancelling through the signal returns within a second and the server stops generating', async () => {
    const client = await OpenAiModelClient.connect(config());
    await server.idle();
    server.resetStats();
    const ac = new AbortController();
    const long = { type: 'object', properties: { t: { type: 'string', minLength: 900, maxLength: 1000 } } };
    const running = client.complete(ask({ schema: long, maxTokens: 1000, signal: ac.signal }));
    while (server.stats.started === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    const abortedAt = Date.now();
    ac.abort();
    const r = await running;
    assert.equal(r.stopReason, 'abort');
    assert.ok(Date.now() - abortedAt < 1000, `returned ${Date.now() - abortedAt} ms after the abort`);
    await server.idle();
    assert.equal(server.stats.disconnected, 1, 'the server noticed the disconnect');
    assert.equal(server.stats.completed, 0, 'and did not finish the answer');
    assert.ok(Date.now() - abortedAt < 1000, `generation stopped ${Date.now() - abortedAt} ms after the abort`);
  });

  test('a hanging server ends in a timeout error; an abort while waiting for a retry returns at once', async () => {
    const client = await OpenAiModelClient.connect({ ...config(), timeoutMs: 300 });
    server.faults.hang = true;
    try {
      await assert.rejects(client.complete(ask()), isError('timed_out', /did not answer a section request within 0 s/));
    } finally {
      server.faults.hang = false;
    }
    server.faults.failNext.push({ status: 503, retryAfter: '20' });
    const ac = new AbortController();
    const running = client.complete(ask({ signal: ac.signal }));
    await new Promise((r) => setTimeout(r, 100));
    const at = Date.now();
    ac.abort();
    assert.equal((await running).stopReason, 'abort');
    assert.ok(Date.now() - at < 200);
  });

  test('parallel requests stay within the configured limit, and the server runs that many at once', async () => {
    const client = await OpenAiModelClient.connect({ ...config(), maxParallel: 2 });
    await server.idle();
    server.resetStats();
    server.faults.latencyMs = 150;
    try {
      const results = await Promise.all(Array.from({ length: 5 }, () => client.complete(ask())));
      assert.ok(results.every((r) => r.stopReason === 'stop'));
    } finally {
      server.faults.latencyMs = 0;
    }
    assert.equal(server.stats.completed, 5);
    assert.equal(server.stats.maxActive, 2, 'two generations ran at once, never more');
  });

  test('a server that ignores the schema is caught at this edge; Test says it does not honour json_schema', async () => {
    const client = await OpenAiModelClient.connect(config());
    server.faults.ignoreSchema = true;
    try {
      await assert.rejects(client.complete(ask({ maxTokens: 12 })), isError('bad_answer', /does not follow the requested JSON schema/));
      const report = await testServer(config());
      assert.equal(report.ok, false);
      assert.equal(report.structuredOutput, 'none');
      assert.match(report.message, /does not constrain output to a JSON schema/);
    } finally {
      server.faults.ignoreSchema = false;
    }
    const good = await testServer(config());
    assert.equal(good.ok, true, good.message);
    assert.equal(good.kind, 'llama-server');
    assert.equal(good.structuredOutput, 'json_schema');
    assert.deepEqual(good.models, [server.modelName]);
    assert.equal(good.privacy.scope, 'loopback');
    assert.match(good.message, /llama-server serves .* honours response_format json_schema/);
  });

  test('a prompt longer than the context is a clear error', async () => {
    const client = await OpenAiModelClient.connect(config());
    const huge = 'requirement '.repeat(3000);
    await assert.rejects(client.complete(ask({ messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: huge }] })), isError('context_too_long', /larger context/));
  });
});

describe('OpenAI-compatible client against vLLM and Ollama', () => {
  let vllm: OpenAiTestServer;
  let ollama: OpenAiTestServer;
  before(async () => {
    vllm = await startOpenAiTestServer({ flavor: 'vllm', modelName: 'Qwen/Qwen2.5-32B-Instruct', contextSize: 1024, sequences: 2 });
    ollama = await startOpenAiTestServer({ flavor: 'ollama', modelName: 'qwen2.5:7b', contextSize: 1024, sequences: 2 });
  });
  after(async () => {
    await vllm?.close();
    await ollama?.close();
  });

  test('vLLM: the context size from its model list, tokens from its tokenizer, an unknown model and a too-long request are clear errors', async () => {
    const client = await OpenAiModelClient.connect({ baseUrl: `${vllm.url}/v1`, model: 'Qwen/Qwen2.5-32B-Instruct' });
    assert.equal(client.server.kind, 'vllm');
    assert.equal(client.contextSize(), 1024);
    assert.ok((await client.countTokens('export orders')) > 0);
    const r = await client.complete(ask());
    assert.equal(r.stopReason, 'stop');
    await assert.rejects(OpenAiModelClient.connect({ baseUrl: vllm.url, model: 'Qwen/Qwen2.5-7B-Instruct' }), isError('unknown_model', /does not serve a model named "Qwen\/Qwen2.5-7B-Instruct"; it serves "Qwen\/Qwen2.5-32B-Instruct"/));
    await assert.rejects(client.complete(ask({ maxTokens: 2000 })), isError('context_too_long', /maximum context length is 1024 tokens/));
  });

  test("Ollama: the native chat API with the schema as format, the configured context size, and Test says it honours Ollama's format", async () => {
    const config = { baseUrl: ollama.url, model: 'qwen2.5:7b', contextSize: 1024 };
    const client = await OpenAiModelClient.connect(config);
    assert.equal(client.server.kind, 'ollama');
    assert.equal(client.contextSize(), 1024);
    ollama.resetStats();
    const r = await client.complete(ask());
    assert.equal(r.stopReason, 'stop');
    assert.deepEqual(schemaProblems(JSON.parse(r.text), strictJsonSchema(small)), []);
    const body = ollama.stats.bodies.at(-1)!;
    assert.deepEqual(body.format, strictJsonSchema(small));
    assert.deepEqual(body.options, { num_predict: 48, num_ctx: 1024, temperature: 0 });
    const report = await testServer(config);
    assert.equal(report.structuredOutput, 'ollama_format');
    assert.ok(report.ok, report.message);
    await assert.rejects(OpenAiModelClient.connect({ ...config, model: 'llama3' }), isError('unknown_model'));
  });

  test('a server that redirects is refused: content only goes to the configured address', async () => {
    const redirecting = createServer((_req, res) => res.writeHead(302, { location: `${vllm.url}/v1/models` }).end());
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/v1`;
      await assert.rejects(OpenAiModelClient.connect({ baseUrl: url, model: 'x', serverKind: 'openai' }), isError('redirected'));
    } finally {
      redirecting.close();
    }
  });

  test('an unreachable server is named with the reason', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await assert.rejects(OpenAiModelClient.connect({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'x' }), isError('unreachable', /Cannot reach the inference server at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/));
  });
});
