// A test OpenAI-compatible inference server (test helper, not product code): the tiny Qwen GGUF on
// node-llama-cpp behind the HTTP endpoints vLLM, llama.cpp's llama-server and Ollama expose, so the
// remote engine is tested against real generation. `response_format: {type: "json_schema"}` (and
// Ollama's `format`) become a real JSON-schema grammar; requests run in parallel on separate context
// sequences. Faults are injectable: latency, 429/503 answers (with Retry-After), hangs, a server
// that ignores the schema, and a client that disconnects is noticed (generation stops).

import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getLlama, LlamaChatSession, LlamaLogLevel, TokenBias } from 'node-llama-cpp';
import type { ChatHistoryItem, GbnfJsonSchema, Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { CompletionRequest } from '../../core/model/modelClient.ts';
import { tinyQwenPath } from './tinyQwen.ts';

export type ServerFlavor = 'llama-server' | 'vllm' | 'ollama';

export interface OpenAiTestServerOptions {
  flavor?: ServerFlavor;
  /** GGUF to serve; default the tiny Qwen. */
  modelPath?: string;
  /** The name the server lists and answers to. */
  modelName?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  contextSize?: number;
  /** Requests generated at once (context sequences); more wait for a free one. */
  sequences?: number;
  threads?: number;
  /**
   * The answer a request must get, forced token by token through a logit bias (as the embedded
   * client's steering does), so the real runtime does the work a trained model agreeing with it
   * would cause. The request is rebuilt from the HTTP body (messages, schema, limits, sampling).
   */
  steer?: (request: CompletionRequest) => string | undefined;
}

export interface InjectedFailure {
  status: 429 | 500 | 503;
  /** Retry-After header value (seconds or an HTTP date). */
  retryAfter?: string;
}

export interface ServerFaults {
  /** Delay before each generation request is answered or started. */
  latencyMs: number;
  /** The next generation requests answer these failures, one each, in order. */
  failNext: InjectedFailure[];
  /** Generation requests are accepted and never answered (until the client disconnects). */
  hang: boolean;
  /** Answers ignore the requested schema (a server without structured output). */
  ignoreSchema: boolean;
  /** The next this many answers ignore the requested schema (a server that breaks it now and then). */
  ignoreSchemaNext: number;
}

export interface ServerStats {
  /** Generation requests received (including failed and hung ones). */
  requests: number;
  /** Generations started on a sequence, finished, and stopped because the client went away. */
  started: number;
  completed: number;
  disconnected: number;
  active: number;
  maxActive: number;
  /** Bodies of the generation requests, newest last. */
  bodies: Record<string, unknown>[];
  /** Authorization headers seen (to check the key is sent, and only to this server). */
  authorizations: (string | undefined)[];
}

export interface OpenAiTestServer {
  /** Root URL (http://127.0.0.1:PORT); OpenAI endpoints live under /v1. */
  url: string;
  flavor: ServerFlavor;
  modelName: string;
  contextSize: number;
  faults: ServerFaults;
  stats: ServerStats;
  /** Resolves when no generation is running. */
  idle(): Promise<void>;
  resetStats(): void;
  close(): Promise<void>;
}

interface Loaded {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
}

class HttpFailure extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpFailure(400, { error: { code: 400, message: 'Invalid JSON body', type: 'invalid_request_error' } });
  }
};

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export async function startOpenAiTestServer(options: OpenAiTestServerOptions = {}): Promise<OpenAiTestServer> {
  const flavor = options.flavor ?? 'llama-server';
  const modelName = options.modelName ?? 'qwen2.5-tiny-test';
  const contextSize = options.contextSize ?? 2048;
  const llama = await getLlama({ build: 'never', gpu: false, logLevel: LlamaLogLevel.error, progressLogs: false });
  const model = await llama.loadModel({ modelPath: options.modelPath ?? tinyQwenPath(), gpuLayers: 0 });
  const context = await model.createContext({ contextSize, sequences: options.sequences ?? 4, threads: options.threads ?? 1 });
  const loaded: Loaded = { llama, model, context };

  const free: LlamaContextSequence[] = [];
  const waiters: ((s: LlamaContextSequence) => void)[] = [];
  const acquire = (signal: AbortSignal): Promise<LlamaContextSequence> => {
    const s = free.pop() ?? (context.sequencesLeft > 0 ? context.getSequence() : undefined);
    if (s) return Promise.resolve(s);
    return new Promise((resolve, reject) => {
      const w = (seq: LlamaContextSequence): void => resolve(seq);
      waiters.push(w);
      signal.addEventListener(
        'abort',
        () => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error('client went away'));
        },
        { once: true },
      );
    });
  };
  const release = (s: LlamaContextSequence): void => {
    const w = waiters.shift();
    if (w) w(s);
    else free.push(s);
  };

  const faults: ServerFaults = { latencyMs: 0, failNext: [], hang: false, ignoreSchema: false, ignoreSchemaNext: 0 };
  const freshStats = (): ServerStats => ({ requests: 0, started: 0, completed: 0, disconnected: 0, active: 0, maxActive: 0, bodies: [], authorizations: [] });
  let stats = freshStats();
  let idleWaiters: (() => void)[] = [];

  const countTokens = (text: string): number => loaded.model.tokenize(text).length;

  interface Generation {
    messages: { role: string; content: string }[];
    schema: GbnfJsonSchema | undefined;
    maxTokens: number;
    temperature: number;
    seed?: number;
    repeatPenalty?: number;
    purpose?: string;
  }

  /** A per-token bias that makes greedy sampling write `answer` and then end the turn. */
  const steering = (answer: string): (() => TokenBias) => {
    const target: Token[] = [...model.tokenize(answer), ...(model.tokens.eos !== null ? [model.tokens.eos] : [])];
    let at = 0;
    return () => {
      const bias = new TokenBias(model.tokenizer);
      const next = target[Math.min(at, target.length - 1)]!;
      at++;
      return bias.set(next, { logit: 1e4 });
    };
  };

  const generate = async (g: Generation, signal: AbortSignal): Promise<{ text: string; finish: 'stop' | 'length'; promptTokens: number; completionTokens: number; cachedTokens?: number }> => {
    const seq = await acquire(signal);
    stats.started++;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    const sys = g.messages[0]?.role === 'system' ? g.messages[0].content : undefined;
    const rest = sys === undefined ? g.messages : g.messages.slice(1);
    const last = rest.at(-1);
    const session = new LlamaChatSession({ contextSequence: seq, autoDisposeSequence: false, ...(sys !== undefined ? { systemPrompt: sys } : {}) });
    try {
      const history: ChatHistoryItem[] = sys !== undefined ? [{ type: 'system', text: sys }] : [];
      for (const m of rest.slice(0, -1)) history.push(m.role === 'assistant' ? { type: 'model', response: [m.content] } : { type: 'user', text: m.content });
      session.setChatHistory(history);
      if (g.schema && (faults.ignoreSchema || faults.ignoreSchemaNext > 0)) {
        if (!faults.ignoreSchema) faults.ignoreSchemaNext--;
        // A server without structured output: a chatty answer whatever the schema asked for.
        stats.completed++;
        return { text: 'Hello! Here is a story about CSV export.', finish: 'stop', promptTokens: 20, completionTokens: 10 };
      }
      const grammar = g.schema ? await loaded.llama.createGrammarForJsonSchema(g.schema as Parameters<Llama['createGrammarForJsonSchema']>[0]) : undefined;
      const inBefore = seq.tokenMeter.usedInputTokens;
      const outBefore = seq.tokenMeter.usedOutputTokens;
      const steered = options.steer?.({
        messages: g.messages.map((m) => ({ role: m.role as 'system' | 'user' | 'assistant', content: m.content })),
        schema: (g.schema ?? {}) as Record<string, unknown>,
        maxTokens: g.maxTokens,
        ...(g.purpose ? { purpose: g.purpose } : {}),
        sampling: { temperature: g.temperature, ...(g.seed !== undefined ? { seed: g.seed } : {}), ...(g.repeatPenalty !== undefined ? { repeatPenalty: g.repeatPenalty } : {}) },
      });
      let r: Awaited<ReturnType<LlamaChatSession['promptWithMeta']>>;
      try {
        r = await session.promptWithMeta(last?.content ?? '', {
          maxTokens: g.maxTokens,
          signal,
          stopOnAbortSignal: true,
          temperature: g.temperature,
          ...(g.seed !== undefined ? { seed: g.seed } : {}),
          ...(grammar ? { grammar } : {}),
          ...(g.repeatPenalty !== undefined && g.repeatPenalty > 1 ? { repeatPenalty: { penalty: g.repeatPenalty, lastTokens: 64 } } : {}),
          ...(steered !== undefined ? { tokenBias: steering(steered) } : {}),
        });
      } catch (err) {
        if (signal.aborted) stats.disconnected++;
        throw err;
      }
      if (signal.aborted) {
        stats.disconnected++;
        throw new Error('client went away');
      }
      const input = seq.tokenMeter.usedInputTokens - inBefore;
      const output = seq.tokenMeter.usedOutputTokens - outBefore;
      const reused = Math.max(0, seq.nextTokenIndex - input - output);
      stats.completed++;
      return { text: r.responseText, finish: r.stopReason === 'maxTokens' ? 'length' : 'stop', promptTokens: reused + input, completionTokens: output, cachedTokens: reused };
    } finally {
      session.dispose({ disposeSequence: false });
      stats.active--;
      release(seq);
      if (stats.active === 0) {
        const w = idleWaiters;
        idleWaiters = [];
        for (const f of w) f();
      }
    }
  };

  const checkAuth = (req: IncomingMessage): void => {
    if (!options.apiKey) return;
    if (req.headers.authorization !== `Bearer ${options.apiKey}`) {
      throw new HttpFailure(401, flavor === 'vllm' ? { error: 'Unauthorized' } : { error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' } });
    }
  };

  const notFoundModel = (name: string): HttpFailure =>
    flavor === 'ollama'
      ? new HttpFailure(404, { error: `model "${name}" not found, try pulling it first` })
      : new HttpFailure(404, { object: 'error', message: `The model \`${name}\` does not exist.`, type: 'NotFoundError', param: null, code: 404 });

  /** Applies the injected faults to a generation request; resolves false when the request hangs. */
  const applyFaults = async (signal: AbortSignal): Promise<boolean> => {
    await sleep(faults.latencyMs, signal);
    const fail = faults.failNext.shift();
    if (fail) {
      throw new HttpFailure(
        fail.status,
        { error: { code: fail.status, message: fail.status === 429 ? 'Too many requests' : fail.status === 503 ? 'Loading model' : 'Internal error', type: fail.status === 503 ? 'unavailable_error' : 'server_error' } },
        fail.retryAfter !== undefined ? { 'retry-after': fail.retryAfter } : {},
      );
    }
    if (faults.hang) {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      stats.disconnected++;
      return false;
    }
    return true;
  };

  const messagesOf = (v: unknown): { role: string; content: string }[] => {
    if (!Array.isArray(v) || v.length === 0) throw new HttpFailure(400, { error: { code: 400, message: "'messages' must be a non-empty array", type: 'invalid_request_error' } });
    return v.map((m) => {
      const o = m as { role?: unknown; content?: unknown };
      if (typeof o.role !== 'string' || typeof o.content !== 'string') throw new HttpFailure(400, { error: { code: 400, message: 'each message needs a role and string content', type: 'invalid_request_error' } });
      return { role: o.role, content: o.content };
    });
  };

  const chatCompletions = async (body: Record<string, unknown>, signal: AbortSignal): Promise<unknown> => {
    if (flavor !== 'llama-server' && body.model !== modelName) throw notFoundModel(String(body.model));
    const messages = messagesOf(body.messages);
    const rf = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
    const schema = rf?.type === 'json_schema' ? (rf.json_schema?.schema as GbnfJsonSchema | undefined) : undefined;
    const maxTokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 256);
    const promptTokens = countTokens(messages.map((m) => m.content).join('\n')) + 5 * messages.length;
    if (flavor === 'vllm' && promptTokens + maxTokens > contextSize) {
      throw new HttpFailure(400, {
        object: 'error',
        message: `This model's maximum context length is ${contextSize} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
        type: 'BadRequestError',
        param: null,
        code: 400,
      });
    }
    if (promptTokens >= contextSize) {
      throw new HttpFailure(400, { error: { code: 400, message: 'the request exceeds the available context size, try increasing it', type: 'exceed_context_size_error', n_prompt_tokens: promptTokens, n_ctx: contextSize } });
    }
    if (!(await applyFaults(signal))) return undefined;
    const penalty = Number(body.repeat_penalty ?? body.repetition_penalty ?? NaN);
    const name = (rf as { json_schema?: { name?: unknown } } | undefined)?.json_schema?.name;
    const out = await generate(
      {
        messages,
        schema,
        maxTokens,
        temperature: Number(body.temperature ?? 0),
        seed: typeof body.seed === 'number' ? body.seed : undefined,
        ...(Number.isFinite(penalty) ? { repeatPenalty: penalty } : {}),
        ...(typeof name === 'string' ? { purpose: name } : {}),
      },
      signal,
    );
    return {
      id: `chatcmpl-${stats.requests}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: modelName,
      choices: [{ index: 0, message: { role: 'assistant', content: out.text }, finish_reason: out.finish }],
      usage: { prompt_tokens: out.promptTokens, completion_tokens: out.completionTokens, total_tokens: out.promptTokens + out.completionTokens, prompt_tokens_details: { cached_tokens: out.cachedTokens ?? 0 } },
    };
  };

  const ollamaChat = async (body: Record<string, unknown>, signal: AbortSignal): Promise<unknown> => {
    if (body.model !== modelName) throw notFoundModel(String(body.model));
    const messages = messagesOf(body.messages);
    const format = body.format;
    const schema = format && typeof format === 'object' ? (format as GbnfJsonSchema) : undefined;
    const opts = (body.options ?? {}) as { num_predict?: number; temperature?: number; seed?: number };
    if (!(await applyFaults(signal))) return undefined;
    const out = await generate({ messages, schema, maxTokens: Number(opts.num_predict ?? 256), temperature: Number(opts.temperature ?? 0.8), seed: opts.seed }, signal);
    return {
      model: modelName,
      created_at: new Date().toISOString(),
      message: { role: 'assistant', content: out.text },
      done: true,
      done_reason: out.finish,
      prompt_eval_count: out.promptTokens,
      eval_count: out.completionTokens,
    };
  };

  const route = async (req: IncomingMessage, signal: AbortSignal): Promise<unknown> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const isGeneration = req.method === 'POST' && (path === '/v1/chat/completions' || (flavor === 'ollama' && path === '/api/chat'));
    if (isGeneration) {
      stats.requests++;
      stats.authorizations.push(req.headers.authorization);
    }
    checkAuth(req);
    const body = req.method === 'POST' ? ((await readBody(req)) as Record<string, unknown>) : {};
    if (isGeneration) stats.bodies.push(body);
    if (req.method === 'GET' && path === '/v1/models') {
      return {
        object: 'list',
        data: [{ id: modelName, object: 'model', created: 0, owned_by: flavor, ...(flavor === 'vllm' ? { max_model_len: contextSize } : {}) }],
      };
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') return chatCompletions(body, signal);
    if (flavor === 'llama-server') {
      if (req.method === 'GET' && path === '/props') return { default_generation_settings: { n_ctx: contextSize, model: modelName }, total_slots: options.sequences ?? 4, model_path: modelName };
      if (req.method === 'GET' && path === '/health') return { status: 'ok' };
      if (req.method === 'POST' && path === '/tokenize') return { tokens: Array.from(loaded.model.tokenize(String(body.content ?? ''))) };
    }
    if (flavor === 'vllm') {
      if (req.method === 'GET' && path === '/version') return { version: '0.11.0' };
      if (req.method === 'POST' && path === '/tokenize') {
        const tokens = Array.from(loaded.model.tokenize(String(body.prompt ?? '')));
        return { tokens, count: tokens.length, max_model_len: contextSize };
      }
    }
    if (flavor === 'ollama') {
      if (req.method === 'GET' && path === '/api/version') return { version: '0.12.0' };
      if (req.method === 'GET' && path === '/api/tags') return { models: [{ name: modelName, model: modelName, size: 0, details: { family: 'qwen2' } }] };
      if (req.method === 'POST' && path === '/api/chat') return ollamaChat(body, signal);
    }
    throw new HttpFailure(404, flavor === 'ollama' ? '404 page not found' : { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const ac = new AbortController();
    // A client that disconnects before the answer is written stops its generation.
    res.on('close', () => {
      if (!res.writableFinished) ac.abort();
    });
    route(req, ac.signal).then(
      (body) => {
        if (ac.signal.aborted || body === undefined) return;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
      (err: unknown) => {
        if (res.destroyed || ac.signal.aborted) return;
        if (err instanceof HttpFailure) {
          res.writeHead(err.status, { 'content-type': typeof err.body === 'string' ? 'text/plain' : 'application/json', ...err.headers }).end(typeof err.body === 'string' ? err.body : JSON.stringify(err.body));
        } else {
          res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 500, message: err instanceof Error ? err.message : String(err), type: 'server_error' } }));
        }
      },
    );
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    flavor,
    modelName,
    contextSize,
    faults,
    get stats() {
      return stats;
    },
    idle: () => (stats.active === 0 ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
    resetStats: () => {
      stats = freshStats();
    },
    close: async () => {
      faults.hang = false;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  } satisfies OpenAiTestServer;
}
