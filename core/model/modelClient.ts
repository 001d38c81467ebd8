// The port between the generation pipeline (outline → chunks → coverage → assemble) and a model
// runtime. The pipeline only completes chats with a JSON schema, counts tokens and asks for the
// context size; the embedded node-llama-cpp runtime and an OpenAI-compatible server (vLLM,
// llama.cpp's llama-server, Ollama) each implement it. Nothing here imports a runtime.

/** A JSON schema object as sent to the runtime (grammar for node-llama-cpp, response_format for servers). */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface Sampling {
  /** 0 is greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  /** Penalty for repeating recent tokens (1 = none). */
  repeatPenalty?: number;
}

export interface CompletionRequest {
  /**
   * The conversation. The system message comes first and is identical across a job's requests
   * (and across jobs where possible), so runtimes can reuse its cached prefix.
   */
  messages: readonly ChatMessage[];
  /** The answer must be JSON that follows this schema. */
  schema: JsonSchema;
  maxTokens: number;
  signal?: AbortSignal;
  sampling?: Sampling;
  /** Short label for logs and figures ("outline", "section", "coverage"). */
  purpose?: string;
  /** Called as answer tokens arrive (with how many), for progress and tokens per second. Optional for clients. */
  onTokens?: (count: number) => void;
}

export interface CompletionResult {
  /** The raw answer text (JSON that follows the schema, or a prefix of it when cut off). */
  text: string;
  /** Why the answer ended: a natural end, the token limit (the text may be a cut-off prefix), or an abort. */
  stopReason: 'stop' | 'maxTokens' | 'abort';
  tokensIn: number;
  tokensOut: number;
  /** Wall time of the call in milliseconds. */
  ms: number;
  /** Prompt tokens the runtime did not evaluate again (a cached prefix), when it can tell. */
  reusedTokens?: number;
  /** Which of the runtime's parallel slots served the call, when it can tell. */
  slot?: number;
  /** Part of `ms` spent preparing the constraint (building a grammar), when the runtime does that itself. */
  grammarMs?: number;
}

export type ModelClientKind = 'embedded' | 'openai';

export interface ModelClient {
  readonly kind: ModelClientKind;
  /** The model's name as the runtime reports it. */
  readonly model: string;
  /** Tokens the model's context holds (prompt + answer). */
  contextSize(): number;
  /** Tokens `text` takes for this model (exact where the runtime can tokenize, estimated otherwise). */
  countTokens(text: string): Promise<number>;
  /** Requests the runtime serves at once (parallel sequences or the server's limit). */
  readonly parallelism: number;
  complete(request: CompletionRequest): Promise<CompletionResult>;
}

/**
 * What a client's error carries when a complete answer does not follow the requested schema (a
 * runtime without a grammar, e.g. a server that ignores response_format). The pipeline sends such a
 * request once more with the problems named, as it does for an answer its own checks refuse, and
 * fails the job when the second answer breaks the schema too.
 */
export interface SchemaBreakingAnswer {
  /** What is wrong with the answer, e.g. "$.stories is missing" or "the answer is not JSON". */
  readonly schemaProblems: readonly string[];
}

export function breaksSchema(err: unknown): err is Error & SchemaBreakingAnswer {
  const problems = err instanceof Error ? (err as Error & Partial<SchemaBreakingAnswer>).schemaProblems : undefined;
  return Array.isArray(problems) && problems.length > 0;
}
