// The remote model client: ModelClient over the OpenAI chat-completions API that vLLM, llama.cpp's
// llama-server and Ollama speak. It owns everything between the pipeline and the server: the JSON
// schema sent as `response_format` (every property required, no additional properties — what
// strict structured output and llama-server's grammar need), or Ollama's native `format`; a limit
// on requests in flight (the server batches them); abort through the caller's signal (the request
// is disconnected, the servers then stop generating); bounded retries with backoff on 429/503
// honouring Retry-After; actionable errors for a refused key, an unknown model, a prompt too long
// for the context; token counting through the server's tokenizer where it has one; the context size
// from the server. Every answer is validated here: the envelope with zod, the content against the
// schema that was asked for (an answer that breaks it is a bad_answer error naming its problems,
// which the pipeline answers by asking once more).
//
// The client only ever talks to the configured base URL: redirects are refused, and the API key
// (from the secret store) is sent to that URL alone and never appears in errors or logs.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { CompletionRequest, CompletionResult, JsonSchema, ModelClient } from './modelClient.ts';

/** The server software behind the URL; 'openai' is any other server of the same API. */
export type ServerKind = 'vllm' | 'llama-server' | 'ollama' | 'openai';

export interface OpenAiClientConfig {
  /** Base URL of the server, with or without the trailing /v1 (http://gpu-box:8000/v1). */
  baseUrl: string;
  /** The model name the server serves (vLLM's --served-model-name, Ollama's tag). */
  model: string;
  apiKey?: string;
  /** Time one request may take, in milliseconds (a long answer on a busy server takes minutes). */
  timeoutMs?: number;
  /** Requests in flight at once; more wait here. */
  maxParallel?: number;
  /** The context size, when the server does not report it (Ollama, others) or to use less than it offers. */
  contextSize?: number;
  /** The server software; default: detected (Ollama, llama-server, vLLM, else a generic OpenAI server). */
  serverKind?: ServerKind | 'auto';
  /** Retries of a request answered 429 or 503, and the longest wait between two tries. */
  maxRetries?: number;
  maxRetryDelayMs?: number;
  /** First backoff delay; doubled on each retry (with jitter). */
  retryBaseMs?: number;
  fetch?: typeof fetch;
}

export type InferenceErrorCode =
  | 'invalid_config'
  | 'unreachable'
  | 'redirected'
  | 'unauthorized'
  | 'unknown_model'
  | 'context_too_long'
  | 'overloaded'
  | 'timed_out'
  | 'bad_answer'
  | 'server_error';

/** A remote inference request that failed, with a message a person can act on (never the API key). */
export class InferenceServerError extends Error {
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
    /** The HTTP status the server answered, when it answered. */
    readonly status?: number,
    /** Set when a complete answer does not follow the requested schema: the pipeline asks again (SchemaBreakingAnswer). */
    readonly schemaProblems?: readonly string[],
  ) {
    super(message);
    this.name = 'InferenceServerError';
  }
}

const DEFAULTS = { timeoutMs: 300_000, maxParallel: 4, maxRetries: 5, maxRetryDelayMs: 30_000, retryBaseMs: 500, contextSize: 8192 } as const;

/** The server's root URL (without /v1 and trailing slashes); throws invalid_config for anything but http(s). */
export function serverRoot(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new InferenceServerError('invalid_config', `"${baseUrl}" is not a URL; give the server's address such as http://gpu-box:8000/v1.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InferenceServerError('invalid_config', `The inference server URL must start with http:// or https://, got ${url.protocol}`);
  if (url.username || url.password) throw new InferenceServerError('invalid_config', 'Put the API key in the API key field, not in the URL.');
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '') || '/';
  return url;
}

const join = (root: URL, path: string): URL => new URL(`${root.pathname.replace(/\/$/, '')}${path}`, root);

// ---------------------------------------------------------------------------------------------
// Schemas

/**
 * The schema as strict structured output wants it: every object lists all its properties as
 * required and allows no others (llama-server treats a property not in `required` as optional, and
 * OpenAI's strict mode refuses a schema without both). Nested schemas are transformed too.
 */
export function strictJsonSchema(schema: JsonSchema): JsonSchema {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      out[k] = k === 'enum' || k === 'const' ? v : k === 'properties' && v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, visit(s)])) : visit(v);
    }
    if (out.type === 'object' || (out.properties && typeof out.properties === 'object')) {
      out.properties ??= {};
      out.required = Object.keys(out.properties as object);
      out.additionalProperties = false;
    }
    return out;
  };
  return visit(schema) as JsonSchema;
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/**
 * Where a value breaks a schema (the keywords the output schemas use: type, properties, required,
 * additionalProperties, items, enum, const, min/maxItems, min/maxLength, minimum/maximum).
 * String lengths count characters (code points), as the servers' grammars do. Returns the first
 * few problems, or [] when the value follows the schema.
 */
export function schemaProblems(value: unknown, schema: JsonSchema, at = '$', out: string[] = []): string[] {
  if (out.length >= 5) return out;
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum) && !s.enum.some((e) => e === value)) out.push(`${at} must be one of ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  if ('const' in s && s.const !== value) out.push(`${at} must be ${JSON.stringify(s.const)}`);
  const t = s.type as string | undefined;
  const actual = typeOf(value);
  if (t) {
    const ok = t === actual || (t === 'integer' && Number.isInteger(value)) || (t === 'number' && actual === 'number');
    if (!ok) {
      out.push(`${at} must be ${t === 'array' || t === 'object' || t === 'integer' ? `an ${t}` : `a ${t}`}, not ${actual}`);
      return out;
    }
  }
  if (actual === 'string') {
    const n = [...(value as string)].length;
    if (typeof s.minLength === 'number' && n < s.minLength) out.push(`${at} is shorter than ${s.minLength} characters`);
    if (typeof s.maxLength === 'number' && n > s.maxLength) out.push(`${at} is longer than ${s.maxLength} characters`);
  }
  if (actual === 'number') {
    if (typeof s.minimum === 'number' && (value as number) < s.minimum) out.push(`${at} is below ${s.minimum}`);
    if (typeof s.maximum === 'number' && (value as number) > s.maximum) out.push(`${at} is above ${s.maximum}`);
  }
  if (actual === 'array') {
    const arr = value as unknown[];
    if (typeof s.minItems === 'number' && arr.length < s.minItems) out.push(`${at} has fewer than ${s.minItems} items`);
    if (typeof s.maxItems === 'number' && arr.length > s.maxItems) out.push(`${at} has more than ${s.maxItems} items`);
    if (s.items && typeof s.items === 'object') arr.forEach((v, i) => schemaProblems(v, s.items as JsonSchema, `${at}[${i}]`, out));
  }
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (s.required as string[] | undefined) ?? Object.keys(props)) {
      if (!(key in obj)) out.push(`${at}.${key} is missing`);
    }
    for (const [key, v] of Object.entries(obj)) {
      if (key in props) schemaProblems(v, props[key]!, `${at}.${key}`, out);
      else if (s.additionalProperties === false || s.properties) out.push(`${at}.${key} is not in the schema`);
    }
  }
  return out.slice(0, 5);
}

// ---------------------------------------------------------------------------------------------
// The answers the servers give, checked at this edge.

const ChatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional() }).passthrough(),
        finish_reason: z.string().nullable().optional(),
      }).passthrough(),
    )
    .min(1),
  usage: z
    .object({
      prompt_tokens: z.number().int().nonnegative(),
      completion_tokens: z.number().int().nonnegative(),
      // vLLM (with prefix caching) and llama-server report the prompt tokens served from their cache.
      prompt_tokens_details: z.object({ cached_tokens: z.number().int().nonnegative().nullable().optional() }).passthrough().nullable().optional(),
    })
    .passthrough()
    .nullable()
    .optional(),
}).passthrough();

const OllamaChatSchema = z.object({
  message: z.object({ content: z.string() }).passthrough(),
  done_reason: z.string().optional(),
  prompt_eval_count: z.number().int().nonnegative().optional(),
  eval_count: z.number().int().nonnegative().optional(),
}).passthrough();

const ModelsSchema = z.object({ data: z.array(z.object({ id: z.string(), max_model_len: z.number().int().positive().optional() }).passthrough()) }).passthrough();
const OllamaTagsSchema = z.object({ models: z.array(z.object({ name: z.string() }).passthrough()) }).passthrough();
const PropsSchema = z.object({ default_generation_settings: z.object({ n_ctx: z.number().int().positive() }).passthrough() }).passthrough();
const TokenizeSchema = z.object({ tokens: z.array(z.unknown()).optional(), count: z.number().int().nonnegative().optional() }).passthrough();

// ---------------------------------------------------------------------------------------------

/** Counts requests in flight; waiting callers are served in order and leave the queue on abort. */
export class Semaphore {
  private inUse = 0;
  private readonly queue: (() => void)[] = [];
  constructor(readonly limit: number) {}

  get active(): number {
    return this.inUse;
  }

  /** Resolves with a release function, or rejects with the signal's reason when aborted while waiting. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const release = (): void => {
      const next = this.queue.shift();
      if (next) next();
      else this.inUse--;
    };
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.inUse < this.limit) {
      this.inUse++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(release);
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(go);
        if (i >= 0) this.queue.splice(i, 1);
        reject(signal?.reason);
      };
      this.queue.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Milliseconds a Retry-After header asks for (seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A rough token count for servers without a tokenizer endpoint: errs high (Qwen averages ~4 bytes per token in English, ~3 in CJK). */
export const estimateTokens = (text: string): number => Math.ceil(Buffer.byteLength(text, 'utf8') / 3);

/** The server's error message from its JSON (OpenAI, vLLM, llama-server and Ollama shapes), shortened. */
function serverMessage(body: string): string {
  let msg = body;
  try {
    const j = JSON.parse(body) as { error?: unknown; message?: unknown };
    const e = j.error;
    msg = typeof e === 'string' ? e : e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : typeof j.message === 'string' ? j.message : body;
  } catch {
    // Not JSON: the text itself.
  }
  msg = msg.replace(/\s+/g, ' ').trim();
  return msg.length > 240 ? `${msg.slice(0, 240)}…` : msg;
}

export interface ServerInfo {
  kind: ServerKind;
  /** The models the server lists. */
  models: string[];
  /** The context size the server reports for a request, when it does. */
  contextSize?: number;
  /** Whether the server has a tokenizer endpoint this client can use. */
  tokenizer: boolean;
}

/** Who can see the traffic to the server: this machine, the local network, or beyond. */
export interface HostPrivacy {
  scope: 'loopback' | 'private' | 'public';
  /** What the admin should know before sending page content there. */
  warning?: string;
}

const v4 = (ip: string): number[] => ip.split('.').map(Number);

/** Whether an IP address is loopback, on a private/link-local network, or public. */
export function addressScope(ip: string): HostPrivacy['scope'] {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return addressScope(mapped[1]!);
  if (isIP(ip) === 4) {
    const [a = 0, b = 0] = v4(ip);
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    return 'public';
  }
  if (isIP(ip) === 6) {
    const x = ip.toLowerCase();
    if (x === '::1') return 'loopback';
    if (/^f[cd]/.test(x) || /^fe[89ab]/.test(x)) return 'private';
    return 'public';
  }
  return 'public';
}

/**
 * Where the server's host is: loopback, private network (RFC 1918, link-local, CGNAT/VPN ranges,
 * IPv6 ULA) or public — by the addresses its name resolves to. A public host (or one that cannot be
 * resolved) gets a warning: page content would leave the customer's network.
 */
export async function hostPrivacy(baseUrl: string, resolve: (host: string) => Promise<string[]> = async (h) => (await lookup(h, { all: true })).map((a) => a.address)): Promise<HostPrivacy> {
  const url = serverRoot(baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let scope: HostPrivacy['scope'];
  if (isIP(host)) scope = addressScope(host);
  else if (host === 'localhost' || host.endsWith('.localhost')) scope = 'loopback';
  else {
    let addresses: string[] = [];
    try {
      addresses = await resolve(host);
    } catch {
      addresses = [];
    }
    const scopes = addresses.map(addressScope);
    scope = scopes.length === 0 ? 'public' : scopes.includes('public') ? 'public' : scopes.every((s) => s === 'loopback') ? 'loopback' : 'private';
  }
  if (scope === 'public') {
    return { scope, warning: `${host} is not on this machine or a private network: page content sent for generation would leave your infrastructure. Use a server inside your network unless this is intended.` };
  }
  if (scope === 'private' && url.protocol === 'http:') {
    return { scope, warning: `${host} is on your private network but the connection is plain http: page content and the API key cross the network unencrypted. Prefer https.` };
  }
  return { scope };
}

export class OpenAiModelClient implements ModelClient {
  readonly kind = 'openai' as const;
  readonly model: string;
  readonly parallelism: number;
  readonly root: URL;
  private readonly slots: Semaphore;
  private readonly doFetch: typeof fetch;
  private readonly tokenCache = new Map<string, number>();
  /** Slot numbers of requests in flight (for figures: which of the parallel requests served a call). */
  private readonly freeSlots: number[];
  private tokenizer: boolean;

  private constructor(
    private readonly config: OpenAiClientConfig,
    readonly server: ServerInfo,
    private readonly context: number,
  ) {
    this.root = serverRoot(config.baseUrl);
    this.model = config.model;
    this.parallelism = Math.max(1, Math.floor(config.maxParallel ?? DEFAULTS.maxParallel));
    this.slots = new Semaphore(this.parallelism);
    this.freeSlots = Array.from({ length: this.parallelism }, (_, i) => i);
    this.doFetch = config.fetch ?? fetch;
    this.tokenizer = server.tokenizer;
  }

  /**
   * Connects: asks the server what it is, which models it serves and its context size. Throws
   * InferenceServerError when it cannot be reached, refuses the key or does not serve the model.
   */
  static async connect(config: OpenAiClientConfig, signal?: AbortSignal): Promise<OpenAiModelClient> {
    if (!config.model.trim()) throw new InferenceServerError('invalid_config', 'Set the model name the server serves (as its model list shows it).');
    const info = await probeServer(config, signal);
    if (info.models.length > 0 && !info.models.includes(config.model) && info.kind !== 'llama-server') {
      throw new InferenceServerError('unknown_model', `The inference server at ${serverRoot(config.baseUrl).origin} does not serve a model named "${config.model}"; it serves ${info.models.slice(0, 10).map((m) => `"${m}"`).join(', ')}.`, 404);
    }
    const context = Math.min(config.contextSize ?? info.contextSize ?? DEFAULTS.contextSize, info.contextSize ?? Infinity);
    return new OpenAiModelClient(config, info, context);
  }

  contextSize(): number {
    return this.context;
  }

  /** Requests in flight now (for status and tests). */
  get inFlight(): number {
    return this.slots.active;
  }

  async countTokens(text: string): Promise<number> {
    if (!this.tokenizer) return estimateTokens(text);
    const cached = this.tokenCache.get(text);
    if (cached !== undefined) return cached;
    const body = this.server.kind === 'vllm' ? { model: this.model, prompt: text, add_special_tokens: false } : { content: text };
    const res = await this.send('/tokenize', { method: 'POST', body: JSON.stringify(body) }, AbortSignal.timeout(30_000));
    if (res.status === 404) {
      // No tokenizer endpoint after all (a proxy in front of the server): estimate from now on.
      this.tokenizer = false;
      await res.body?.cancel();
      return estimateTokens(text);
    }
    const parsed = TokenizeSchema.safeParse(await this.json(res, 'tokenize'));
    const n = parsed.success ? (parsed.data.count ?? parsed.data.tokens?.length) : undefined;
    if (n === undefined) throw new InferenceServerError('bad_answer', `The inference server at ${this.root.origin} answered its tokenizer endpoint in an unknown shape.`);
    if (this.tokenCache.size >= 4096) this.tokenCache.clear();
    this.tokenCache.set(text, n);
    return n;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const started = performance.now();
    const aborted = (): CompletionResult => ({ text: '', stopReason: 'abort', tokensIn: 0, tokensOut: 0, ms: performance.now() - started });
    let release: (() => void) | undefined;
    try {
      release = await this.slots.acquire(request.signal);
    } catch {
      return aborted();
    }
    const slot = this.freeSlots.shift() ?? 0;
    try {
      const maxRetries = this.config.maxRetries ?? DEFAULTS.maxRetries;
      for (let attempt = 0; ; attempt++) {
        if (request.signal?.aborted) return aborted();
        const r = await this.attempt(request, started);
        if (r.kind === 'done') {
          request.onTokens?.(r.result.tokensOut);
          return { ...r.result, slot };
        }
        if (r.kind === 'aborted') return aborted();
        if (attempt >= maxRetries) {
          throw new InferenceServerError('overloaded', `The inference server at ${this.root.origin} is overloaded (HTTP ${r.status} ${attempt + 1} times in a row${r.message ? `: ${r.message}` : ''}); try again later, lower the parallel requests setting, or add capacity.`, r.status);
        }
        const base = this.config.retryBaseMs ?? DEFAULTS.retryBaseMs;
        const backoff = base * 2 ** attempt * (0.75 + Math.random() * 0.5);
        const delay = Math.min(this.config.maxRetryDelayMs ?? DEFAULTS.maxRetryDelayMs, r.retryAfterMs ?? backoff);
        try {
          await sleep(delay, request.signal);
        } catch {
          return aborted();
        }
      }
    } finally {
      this.freeSlots.push(slot);
      release();
    }
  }

  private body(request: CompletionRequest): Record<string, unknown> {
    const s = request.sampling ?? {};
    const schema = strictJsonSchema(request.schema);
    if (this.server.kind === 'ollama') {
      return {
        model: this.model,
        messages: request.messages,
        stream: false,
        format: schema,
        options: {
          num_predict: request.maxTokens,
          num_ctx: this.context,
          temperature: s.temperature ?? 0,
          ...(s.seed !== undefined ? { seed: s.seed } : {}),
          ...(s.topK !== undefined ? { top_k: s.topK } : {}),
          ...(s.topP !== undefined ? { top_p: s.topP } : {}),
          ...(s.repeatPenalty !== undefined ? { repeat_penalty: s.repeatPenalty } : {}),
        },
      };
    }
    return {
      model: this.model,
      messages: request.messages,
      max_tokens: request.maxTokens,
      temperature: s.temperature ?? 0,
      ...(s.topP !== undefined ? { top_p: s.topP } : {}),
      ...(s.seed !== undefined ? { seed: s.seed } : {}),
      // Not in OpenAI's API; vLLM and llama-server take them.
      ...(s.topK !== undefined && this.server.kind !== 'openai' ? { top_k: s.topK } : {}),
      ...(s.repeatPenalty !== undefined && this.server.kind === 'llama-server' ? { repeat_penalty: s.repeatPenalty } : {}),
      ...(s.repeatPenalty !== undefined && this.server.kind === 'vllm' ? { repetition_penalty: s.repeatPenalty } : {}),
      // llama-server keeps the evaluated prompt of each slot to reuse its prefix (vLLM does so by itself).
      ...(this.server.kind === 'llama-server' ? { cache_prompt: true } : {}),
      response_format: { type: 'json_schema', json_schema: { name: (request.purpose ?? 'answer').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'answer', strict: true, schema } },
      stream: false,
    };
  }

  private async attempt(
    request: CompletionRequest,
    started: number,
  ): Promise<{ kind: 'done'; result: CompletionResult } | { kind: 'aborted' } | { kind: 'retry'; status: number; retryAfterMs?: number; message: string }> {
    const timeoutMs = this.config.timeoutMs ?? DEFAULTS.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const path = this.server.kind === 'ollama' ? '/api/chat' : '/v1/chat/completions';
    let res: Response;
    let text: string;
    try {
      res = await this.send(path, { method: 'POST', body: JSON.stringify(this.body(request)) }, signal);
      text = await res.text();
    } catch (err) {
      if (request.signal?.aborted) return { kind: 'aborted' };
      if (timeout.aborted) {
        throw new InferenceServerError('timed_out', `The inference server at ${this.root.origin} did not answer a ${request.purpose ?? 'generation'} request within ${Math.round(timeoutMs / 1000)} s; raise the request timeout or lower the parallel requests setting.`);
      }
      throw err;
    }
    if (res.status === 429 || res.status === 503) {
      return { kind: 'retry', status: res.status, retryAfterMs: retryAfterMs(res.headers.get('retry-after')), message: serverMessage(text) };
    }
    if (!res.ok) throw this.httpError(res.status, text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new InferenceServerError('bad_answer', `The inference server at ${this.root.origin} answered a chat request with something that is not JSON; check that the URL points at an OpenAI-compatible API.`);
    }
    let content: string;
    let finish: string | undefined;
    let usage: { in: number; out: number; cached?: number } | undefined;
    if (this.server.kind === 'ollama') {
      const p = OllamaChatSchema.safeParse(json);
      if (!p.success) throw new InferenceServerError('bad_answer', `The Ollama server at ${this.root.origin} answered in an unexpected shape (${p.error.issues[0]?.path.join('.') ?? ''}: ${p.error.issues[0]?.message ?? ''}).`);
      content = p.data.message.content;
      finish = p.data.done_reason;
      usage = p.data.prompt_eval_count !== undefined && p.data.eval_count !== undefined ? { in: p.data.prompt_eval_count, out: p.data.eval_count } : undefined;
    } else {
      const p = ChatCompletionSchema.safeParse(json);
      if (!p.success) throw new InferenceServerError('bad_answer', `The inference server at ${this.root.origin} answered in a shape that is not a chat completion (${p.error.issues[0]?.path.join('.') ?? ''}: ${p.error.issues[0]?.message ?? ''}).`);
      const choice = p.data.choices[0]!;
      content = choice.message.content ?? '';
      finish = choice.finish_reason ?? undefined;
      const cached = p.data.usage?.prompt_tokens_details?.cached_tokens;
      usage = p.data.usage ? { in: p.data.usage.prompt_tokens, out: p.data.usage.completion_tokens, ...(typeof cached === 'number' ? { cached } : {}) } : undefined;
    }
    const stopReason: CompletionResult['stopReason'] = finish === 'length' ? 'maxTokens' : 'stop';
    if (stopReason === 'stop') {
      let value: unknown;
      let problems: string[];
      try {
        value = JSON.parse(content);
        problems = schemaProblems(value, strictJsonSchema(request.schema));
      } catch {
        problems = ['the answer is not JSON'];
      }
      if (problems.length > 0) {
        throw new InferenceServerError(
          'bad_answer',
          `The inference server's answer to the ${request.purpose ?? 'generation'} request does not follow the requested JSON schema (${problems.slice(0, 3).join('; ')}). The server may not support structured output for this model: run Test on the Models page.`,
          undefined,
          problems,
        );
      }
    }
    return {
      kind: 'done',
      result: {
        text: content,
        stopReason,
        tokensIn: usage?.in ?? estimateTokens(request.messages.map((m) => m.content).join('\n')),
        tokensOut: usage?.out ?? estimateTokens(content),
        ms: performance.now() - started,
        ...(usage?.cached !== undefined ? { reusedTokens: usage.cached } : {}),
      },
    };
  }

  private httpError(status: number, body: string): InferenceServerError {
    return httpError(this.root, this.model, status, body);
  }

  private send(path: string, init: RequestInit, signal: AbortSignal): Promise<Response> {
    return send(this.config, this.root, path, init, signal, this.doFetch);
  }

  private async json(res: Response, what: string): Promise<unknown> {
    const text = await res.text();
    if (!res.ok) throw this.httpError(res.status, text);
    try {
      return JSON.parse(text);
    } catch {
      throw new InferenceServerError('bad_answer', `The inference server at ${this.root.origin} answered ${what} with something that is not JSON.`);
    }
  }
}

function httpError(root: URL, model: string, status: number, body: string): InferenceServerError {
  const msg = serverMessage(body);
  if (status === 401 || status === 403) {
    return new InferenceServerError('unauthorized', `The inference server at ${root.origin} refused the API key (HTTP ${status}); set the key the server expects on the Models page.`, status);
  }
  if (/maximum context length|exceed(s|ed)? the (available )?context|context (size|length|window)|too many tokens|prompt is too long/i.test(msg)) {
    return new InferenceServerError('context_too_long', `The prompt does not fit the model's context on the inference server at ${root.origin} (${msg}). Start the server with a larger context (vLLM --max-model-len, llama-server -c) or set a smaller context size in the engine settings so requests are split smaller.`, status);
  }
  if (status === 404 && /model/i.test(msg)) {
    return new InferenceServerError('unknown_model', `The inference server at ${root.origin} does not serve a model named "${model}" (${msg}); pick one of the models Test lists.`, status);
  }
  return new InferenceServerError('server_error', `The inference server at ${root.origin} answered HTTP ${status}${msg ? `: ${msg}` : ''}.`, status);
}

/** One request to the configured server: its origin only, no redirects, the key only there. */
async function send(config: OpenAiClientConfig, root: URL, path: string, init: RequestInit, signal: AbortSignal, doFetch: typeof fetch = config.fetch ?? fetch): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) };
  if (config.apiKey) headers.authorization = `Bearer ${config.apiKey}`;
  let res: Response;
  try {
    res = await doFetch(join(root, path), { ...init, headers, signal, redirect: 'manual' });
  } catch (err) {
    if (signal.aborted) throw err;
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err instanceof Error ? err.message : String(err));
    throw new InferenceServerError('unreachable', `Cannot reach the inference server at ${root.origin} (${cause}); check that it runs and that this machine can reach it.`);
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw new InferenceServerError('redirected', `The inference server at ${root.origin} redirected ${path} elsewhere; page content is only sent to the configured address, so set the base URL to the server's final address.`, res.status);
  }
  return res;
}

/** GETs a JSON document from the server; undefined when the endpoint does not exist (404/405) or is not JSON. */
async function getOptional(config: OpenAiClientConfig, root: URL, path: string, signal: AbortSignal): Promise<unknown> {
  const res = await send(config, root, path, { method: 'GET' }, signal);
  const text = await res.text();
  if (res.status === 401 || res.status === 403) throw httpError(root, config.model, res.status, text);
  if (!res.ok) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What the server is: Ollama (/api/version), llama-server (/props), vLLM (/version and
 * max_model_len in its model list) or another OpenAI-compatible server; its models; its context
 * size. Only the configured URL is asked.
 */
export async function probeServer(config: OpenAiClientConfig, signal?: AbortSignal): Promise<ServerInfo> {
  const root = serverRoot(config.baseUrl);
  const timeout = AbortSignal.timeout(Math.min(config.timeoutMs ?? 10_000, 10_000));
  const s = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const wanted = config.serverKind && config.serverKind !== 'auto' ? config.serverKind : undefined;
    if (wanted === 'ollama' || (!wanted && (await getOptional(config, root, '/api/version', s)) !== undefined)) {
      const tags = OllamaTagsSchema.safeParse(await getOptional(config, root, '/api/tags', s));
      if (!tags.success) throw new InferenceServerError('bad_answer', `The server at ${root.origin} does not answer like Ollama (/api/tags); check the URL and the server type.`);
      return { kind: 'ollama', models: tags.data.models.map((m) => m.name), tokenizer: false };
    }
    const modelsRes = await send(config, root, '/v1/models', { method: 'GET' }, s);
    const modelsText = await modelsRes.text();
    if (!modelsRes.ok) {
      if (modelsRes.status === 404) throw new InferenceServerError('unreachable', `${root.origin}${root.pathname === '/' ? '' : root.pathname} has no OpenAI-compatible API (/v1/models answered 404); check the base URL.`, 404);
      throw httpError(root, config.model, modelsRes.status, modelsText);
    }
    let list: z.infer<typeof ModelsSchema>;
    try {
      list = ModelsSchema.parse(JSON.parse(modelsText));
    } catch {
      throw new InferenceServerError('bad_answer', `The server at ${root.origin} answered /v1/models in a shape that is not an OpenAI model list; check the base URL.`);
    }
    const models = list.data.map((m) => m.id);
    const maxLen = list.data.find((m) => m.id === config.model)?.max_model_len ?? list.data[0]?.max_model_len;
    if (wanted === 'llama-server' || !wanted) {
      const props = PropsSchema.safeParse(await getOptional(config, root, '/props', s));
      if (props.success) return { kind: 'llama-server', models, contextSize: props.data.default_generation_settings.n_ctx, tokenizer: true };
      if (wanted) return { kind: 'llama-server', models, tokenizer: true };
    }
    if (wanted === 'vllm' || (!wanted && (maxLen !== undefined || (await getOptional(config, root, '/version', s)) !== undefined))) {
      return { kind: 'vllm', models, ...(maxLen ? { contextSize: maxLen } : {}), tokenizer: true };
    }
    return { kind: 'openai', models, ...(maxLen ? { contextSize: maxLen } : {}), tokenizer: false };
  } catch (err) {
    if (err instanceof InferenceServerError) throw err;
    if (signal?.aborted) throw err;
    if (timeout.aborted) throw new InferenceServerError('timed_out', `The inference server at ${root.origin} did not answer within 10 s; check that it runs and is reachable from this machine.`);
    throw err;
  }
}

export interface ServerTestReport {
  ok: boolean;
  kind: ServerKind;
  models: string[];
  /** Whether the configured model is among them. */
  modelFound: boolean;
  /** How the server constrains output to a JSON schema, as observed; 'none' when it did not. */
  structuredOutput: 'json_schema' | 'ollama_format' | 'none';
  contextSize: number;
  privacy: HostPrivacy;
  /** One line for the admin: what works and what to do otherwise. */
  message: string;
  ms: number;
}

/**
 * "Test" on the Models page: lists the server's models and checks, with one short request, that it
 * really constrains output to a JSON schema (response_format json_schema, or Ollama's format). The
 * schema asks for a random value only the constraint can produce, so a server that ignores it fails.
 */
export async function testServer(config: OpenAiClientConfig, options: { signal?: AbortSignal; resolve?: (host: string) => Promise<string[]> } = {}): Promise<ServerTestReport> {
  const started = performance.now();
  const privacy = await hostPrivacy(config.baseUrl, options.resolve);
  const client = await OpenAiModelClient.connect(config, options.signal);
  const { server } = client;
  const modelFound = server.models.length === 0 || server.models.includes(config.model);
  const nonce = `s2t-${Math.random().toString(36).slice(2, 10)}`;
  const schema = { type: 'object', properties: { probe: { enum: [nonce] } } };
  let structuredOutput: ServerTestReport['structuredOutput'] = server.kind === 'ollama' ? 'ollama_format' : 'json_schema';
  let detail = '';
  try {
    const r = await client.complete({
      messages: [
        { role: 'system', content: 'You answer briefly.' },
        { role: 'user', content: 'Say hello.' },
      ],
      schema,
      maxTokens: 64,
      purpose: 'probe',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (r.stopReason !== 'stop' || (JSON.parse(r.text) as { probe?: unknown }).probe !== nonce) {
      structuredOutput = 'none';
      detail = r.stopReason === 'maxTokens' ? 'the answer was cut off' : 'the answer did not follow the schema';
    }
  } catch (err) {
    if (err instanceof InferenceServerError && err.code === 'bad_answer') {
      structuredOutput = 'none';
      detail = 'the answer did not follow the schema';
    } else throw err;
  }
  const kindName = { vllm: 'vLLM', 'llama-server': 'llama-server', ollama: 'Ollama', openai: 'an OpenAI-compatible server' }[server.kind];
  const how = structuredOutput === 'ollama_format' ? "Ollama's format with a JSON schema" : 'response_format json_schema';
  const ok = structuredOutput !== 'none' && modelFound;
  const message = ok
    ? `${kindName} serves ${config.model} (context ${client.contextSize()} tokens) and honours ${how}.`
    : structuredOutput === 'none'
      ? `${kindName} answered, but it does not constrain output to a JSON schema (${detail}); breakdowns need structured output: use vLLM, llama-server or Ollama with a model that supports it.`
      : `${kindName} does not list ${config.model}.`;
  return { ok, kind: server.kind, models: server.models, modelFound, structuredOutput, contextSize: client.contextSize(), privacy, message, ms: Math.round(performance.now() - started) };
}
