// The Qwen 2.5 Instruct models an admin can choose to download, and which one fits a machine.
// Sizes are the Q4_K_M GGUF files; the KV-cache figures come from each model's architecture
// (layers × KV heads × head size), so the fit check accounts for the context, not just the weights.

export interface CatalogueModel {
  id: 'qwen2.5-3b' | 'qwen2.5-7b' | 'qwen2.5-14b' | 'qwen2.5-32b';
  label: string;
  /** node-llama-cpp model URI (Hugging Face). */
  uri: string;
  fileName: string;
  /** Approximate size of the GGUF file in bytes. */
  sizeBytes: number;
  /** f16 KV cache bytes per context token: 2 (K and V) × layers × kvHeads × headDim × 2 bytes. */
  kvBytesPerToken: number;
}

const GB = 1_000_000_000;
const kv = (layers: number, kvHeads: number, headDim = 128): number => 2 * layers * kvHeads * headDim * 2;

export const MODEL_CATALOGUE = [
  {
    id: 'qwen2.5-3b',
    label: 'Qwen 2.5 3B Instruct (Q4_K_M)',
    uri: 'hf:bartowski/Qwen2.5-3B-Instruct-GGUF/Qwen2.5-3B-Instruct-Q4_K_M.gguf',
    fileName: 'Qwen2.5-3B-Instruct-Q4_K_M.gguf',
    sizeBytes: 1.93 * GB,
    kvBytesPerToken: kv(36, 2),
  },
  {
    id: 'qwen2.5-7b',
    label: 'Qwen 2.5 7B Instruct (Q4_K_M)',
    uri: 'hf:bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf',
    fileName: 'Qwen2.5-7B-Instruct-Q4_K_M.gguf',
    sizeBytes: 4.68 * GB,
    kvBytesPerToken: kv(28, 4),
  },
  {
    id: 'qwen2.5-14b',
    label: 'Qwen 2.5 14B Instruct (Q4_K_M)',
    uri: 'hf:bartowski/Qwen2.5-14B-Instruct-GGUF/Qwen2.5-14B-Instruct-Q4_K_M.gguf',
    fileName: 'Qwen2.5-14B-Instruct-Q4_K_M.gguf',
    sizeBytes: 8.99 * GB,
    kvBytesPerToken: kv(48, 8),
  },
  {
    id: 'qwen2.5-32b',
    label: 'Qwen 2.5 32B Instruct (Q4_K_M)',
    uri: 'hf:bartowski/Qwen2.5-32B-Instruct-GGUF/Qwen2.5-32B-Instruct-Q4_K_M.gguf',
    fileName: 'Qwen2.5-32B-Instruct-Q4_K_M.gguf',
    sizeBytes: 19.85 * GB,
    kvBytesPerToken: kv(64, 8),
  },
] as const satisfies readonly CatalogueModel[];

export type CatalogueModelId = CatalogueModel['id'];
export const DEFAULT_MODEL_ID: CatalogueModelId = 'qwen2.5-7b';

/** Compute buffers and runtime overhead beside weights and KV cache (measured llama.cpp figures are 0.3–0.8 GB). */
export const RUNTIME_OVERHEAD_BYTES = 0.8 * GB;
export const DEFAULT_CONTEXT_TOKENS = 8192;

export function findCatalogueModel(id: string): CatalogueModel | undefined {
  return MODEL_CATALOGUE.find((m) => m.id === id);
}

/** Bytes a model needs in VRAM to run fully offloaded with the given context. */
export function requiredVramBytes(model: CatalogueModel, contextTokens = DEFAULT_CONTEXT_TOKENS): number {
  return model.sizeBytes + model.kvBytesPerToken * contextTokens + RUNTIME_OVERHEAD_BYTES;
}

export interface Suggestion {
  model: CatalogueModel;
  /** True when the model fits free VRAM entirely; false means the smallest model, partly on the CPU. */
  fits: boolean;
  reason: string;
}

/**
 * The largest catalogue model whose weights + context fit the free VRAM. With too little (or no)
 * VRAM the smallest model is suggested, and the reason says it will run (partly) on the CPU.
 */
export function suggestModel(vram: { free: number }, contextTokens = DEFAULT_CONTEXT_TOKENS): Suggestion {
  const fitting = MODEL_CATALOGUE.filter((m) => requiredVramBytes(m, contextTokens) <= vram.free);
  const best = fitting.at(-1);
  const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (best) {
    return {
      model: best,
      fits: true,
      reason: `${best.label} needs about ${gib(requiredVramBytes(best, contextTokens))} with a ${contextTokens}-token context; ${gib(vram.free)} VRAM is free.`,
    };
  }
  const smallest = MODEL_CATALOGUE[0];
  return {
    model: smallest,
    fits: false,
    reason:
      vram.free > 0
        ? `No model fits the ${gib(vram.free)} of free VRAM; ${smallest.label} will run partly or fully on the CPU (slower).`
        : `No GPU memory was found, so models run on the CPU (slower); ${smallest.label} is the one that stays usable there.`,
  };
}
