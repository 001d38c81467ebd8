// The embedded model client: ModelClient on node-llama-cpp. One pool per loaded model holds its
// context sequences (one chat session each, kept across requests and jobs so the system prompt's
// KV prefix is evaluated once per sequence, not once per request) and a cache of JSON-schema
// grammars. A request waits for a free sequence, replaces the chat history with its own messages,
// and decodes under the schema's grammar with the request's sampling.
//
// Steering (tests and figures only): `steer` names the answer a request must get; it is forced
// token by token through a logit bias, so the real runtime — sampler, grammar, chat template,
// KV cache — does the same work a trained model agreeing with that answer would cause.

import { LlamaChatSession, TokenBias } from 'node-llama-cpp';
import type { ChatHistoryItem, Llama, LlamaContextSequence, LlamaGrammar, Token } from 'node-llama-cpp';
import type { CompletionRequest, CompletionResult, ModelClient, Sampling } from './modelClient.ts';
import type { LoadedModel } from './runtime.ts';

/** Grammars kept per loaded model; section schemas differ by their citation enum, so old ones are dropped. */
const GRAMMAR_CACHE_SIZE = 48;

interface Slot {
  index: number;
  sequence: LlamaContextSequence;
  session: LlamaChatSession;
  busy: boolean;
}

/** Sequences and grammars of one loaded model, shared by every client on it. */
class SequencePool {
  private readonly slots: Slot[] = [];
  private readonly waiters: ((slot: Slot) => void)[] = [];
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  /** Token ids whose text is JSON punctuation or whitespace: never penalised as repetition. */
  private readonly structural = new Map<Token, boolean>();

  constructor(
    readonly llama: Llama,
    readonly loaded: LoadedModel,
  ) {}

  get size(): number {
    return Math.max(1, this.loaded.context.totalSequences);
  }

  async acquire(signal?: AbortSignal): Promise<Slot> {
    const free = this.slots.find((s) => !s.busy);
    if (free) {
      free.busy = true;
      return free;
    }
    if (this.slots.length < this.size && this.loaded.context.sequencesLeft > 0) {
      const sequence = this.loaded.context.getSequence();
      const slot: Slot = { index: this.slots.length, sequence, session: new LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false }), busy: true };
      this.slots.push(slot);
      return slot;
    }
    if (this.slots.length === 0) throw new Error('The model context has no free sequence for generation; load the model again.');
    return new Promise<Slot>((resolve, reject) => {
      const take = (slot: Slot): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(slot);
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(take);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(take);
    });
  }

  release(slot: Slot): void {
    const next = this.waiters.shift();
    if (next) next(slot);
    else slot.busy = false;
  }

  /** The grammar for a schema, built once and kept (most recently used last). */
  grammar(schema: Readonly<Record<string, unknown>>): { grammar: Promise<LlamaGrammar>; built: boolean } {
    const key = JSON.stringify(schema);
    const cached = this.grammars.get(key);
    if (cached) {
      this.grammars.delete(key);
      this.grammars.set(key, cached);
      return { grammar: cached, built: false };
    }
    // The schema is the pipeline's own, written to the grammar's subset (see outputSchema.ts).
    const grammar: Promise<LlamaGrammar> = this.llama.createGrammarForJsonSchema(schema as never);
    grammar.catch(() => this.grammars.delete(key));
    this.grammars.set(key, grammar);
    while (this.grammars.size > GRAMMAR_CACHE_SIZE) this.grammars.delete(this.grammars.keys().next().value!);
    return { grammar, built: true };
  }

  isStructural(token: Token): boolean {
    let v = this.structural.get(token);
    if (v === undefined) {
      v = /^[\s{}[\]":,]*$/.test(this.loaded.model.detokenize([token]));
      this.structural.set(token, v);
    }
    return v;
  }
}

const pools = new WeakMap<LoadedModel, SequencePool>();

function poolFor(llama: Llama, loaded: LoadedModel): SequencePool {
  let pool = pools.get(loaded);
  if (!pool) {
    pool = new SequencePool(llama, loaded);
    pools.set(loaded, pool);
  }
  return pool;
}

export interface LlamaClientOptions {
  /** Sampling used when a request gives none. */
  sampling?: Sampling;
  /**
   * Tests and figures only: the exact answer text the model must write for a request (undefined:
   * let the model decode). Forced per token with a logit bias; the grammar still checks every token.
   */
  steer?: (request: CompletionRequest) => string | undefined;
}

export class LlamaClient implements ModelClient {
  readonly kind = 'embedded' as const;
  private readonly pool: SequencePool;

  constructor(
    llama: Llama,
    readonly loaded: LoadedModel,
    private readonly options: LlamaClientOptions = {},
  ) {
    this.pool = poolFor(llama, loaded);
  }

  get model(): string {
    return this.loaded.name;
  }

  get parallelism(): number {
    return this.pool.size;
  }

  contextSize(): number {
    return this.loaded.contextSize;
  }

  async countTokens(text: string): Promise<number> {
    return this.loaded.model.tokenize(text).length;
  }

  async complete(request: CompletionRequest): Promise<CompletionResult> {
    const started = performance.now();
    const messages = request.messages;
    const last = messages.at(-1);
    if (!last || last.role !== 'user') throw new TypeError('A completion request must end with a user message.');
    const slot = await this.pool.acquire(request.signal);
    try {
      const { grammar: pending, built } = this.pool.grammar(request.schema);
      const grammarStarted = performance.now();
      const grammar = await pending;
      const grammarMs = built ? performance.now() - grammarStarted : 0;
      const history: ChatHistoryItem[] = [];
      for (const m of messages.slice(0, -1)) {
        if (m.role === 'system') history.push({ type: 'system', text: m.content });
        else if (m.role === 'user') history.push({ type: 'user', text: m.content });
        else history.push({ type: 'model', response: [m.content] });
      }
      slot.session.setChatHistory(history);
      const seq = slot.sequence;
      const inputBefore = seq.tokenMeter.usedInputTokens;
      const outputBefore = seq.tokenMeter.usedOutputTokens;
      const sampling = { ...this.options.sampling, ...request.sampling };
      const steered = this.options.steer?.(request);
      const penalty = sampling.repeatPenalty ?? 1;
      const result = await slot.session.promptWithMeta(last.content, {
        grammar,
        maxTokens: request.maxTokens,
        signal: request.signal,
        stopOnAbortSignal: true,
        temperature: sampling.temperature ?? 0,
        ...(sampling.topK !== undefined ? { topK: sampling.topK } : {}),
        ...(sampling.topP !== undefined ? { topP: sampling.topP } : {}),
        ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
        repeatPenalty:
          penalty > 1
            ? {
                penalty,
                lastTokens: 64,
                penalizeNewLine: false,
                // JSON's quotes, braces and commas repeat by design; only words count as repetition.
                punishTokensFilter: (tokens) => tokens.filter((t) => !this.pool.isStructural(t)),
              }
            : false,
        ...(steered !== undefined ? { tokenBias: this.steering(steered) } : {}),
        onToken: (tokens) => request.onTokens?.(tokens.length),
      });
      const tokensIn = seq.tokenMeter.usedInputTokens - inputBefore;
      const tokensOut = seq.tokenMeter.usedOutputTokens - outputBefore;
      // The sequence now holds the prompt (reused prefix + evaluated part) and the answer.
      const reusedTokens = Math.max(0, seq.nextTokenIndex - tokensIn - tokensOut);
      return {
        text: result.responseText,
        stopReason: result.stopReason === 'abort' ? 'abort' : result.stopReason === 'maxTokens' ? 'maxTokens' : 'stop',
        tokensIn: tokensIn + reusedTokens,
        tokensOut,
        ms: performance.now() - started,
        reusedTokens,
        slot: slot.index,
        grammarMs,
      };
    } finally {
      this.pool.release(slot);
    }
  }

  /** A per-token bias that makes greedy sampling write `answer` and then end the turn. */
  private steering(answer: string): () => TokenBias {
    const model = this.loaded.model;
    const target: Token[] = [...model.tokenize(answer), ...(model.tokens.eos !== null ? [model.tokens.eos] : [])];
    let at = 0;
    return () => {
      const bias = new TokenBias(model.tokenizer);
      const next = target[Math.min(at, target.length - 1)]!;
      at++;
      return bias.set(next, { logit: 1e4 });
    };
  }
}
