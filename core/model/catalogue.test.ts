import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MODEL_ID, MODEL_CATALOGUE, findCatalogueModel, requiredVramBytes, suggestModel } from './catalogue.ts';

const GiB = 2 ** 30;

describe('model catalogue', () => {
  test('offers Qwen 2.5 Instruct 3B, 7B, 14B and 32B in Q4_K_M, 7B by default', () => {
    assert.deepEqual(MODEL_CATALOGUE.map((m) => m.id), ['qwen2.5-3b', 'qwen2.5-7b', 'qwen2.5-14b', 'qwen2.5-32b']);
    assert.equal(DEFAULT_MODEL_ID, 'qwen2.5-7b');
    for (const m of MODEL_CATALOGUE) {
      assert.match(m.uri, /^hf:[^/]+\/Qwen2\.5-\d+B-Instruct-GGUF\/Qwen2\.5-\d+B-Instruct-Q4_K_M\.gguf$/);
      assert.ok(m.uri.endsWith(m.fileName));
    }
    const sizes = MODEL_CATALOGUE.map((m) => m.sizeBytes);
    assert.deepEqual([...sizes].sort((a, b) => a - b), sizes);
    assert.equal(findCatalogueModel('qwen2.5-14b')?.label, 'Qwen 2.5 14B Instruct (Q4_K_M)');
    assert.equal(findCatalogueModel('llama-70b'), undefined);
  });

  test('suggests the largest model whose weights and context fit the free VRAM', () => {
    assert.equal(suggestModel({ free: 24 * GiB }).model.id, 'qwen2.5-32b');
    assert.equal(suggestModel({ free: 16 * GiB }).model.id, 'qwen2.5-14b');
    assert.equal(suggestModel({ free: 8 * GiB }).model.id, 'qwen2.5-7b');
    assert.equal(suggestModel({ free: 4 * GiB }).model.id, 'qwen2.5-3b');
    assert.equal(suggestModel({ free: 8 * GiB }).fits, true);
  });

  test('the context counts: a card that fits 7B at 8k tokens does not at 64k', () => {
    const seven = findCatalogueModel('qwen2.5-7b')!;
    const free = requiredVramBytes(seven, 8192) + 1;
    assert.equal(suggestModel({ free }, 8192).model.id, 'qwen2.5-7b');
    assert.equal(suggestModel({ free }, 65_536).model.id, 'qwen2.5-3b');
  });

  test('with no GPU memory the smallest model is suggested and the reason says it runs on the CPU', () => {
    const s = suggestModel({ free: 0 });
    assert.equal(s.model.id, 'qwen2.5-3b');
    assert.equal(s.fits, false);
    assert.match(s.reason, /CPU/);
    assert.doesNotMatch(s.reason, /0\.0 GiB/, 'no "0.0 GiB of free VRAM" on a machine without a GPU');
    assert.match(suggestModel({ free: 2 * GiB }).reason, /No model fits the 2\.0 GiB of free VRAM/);
  });
});
