import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { QWEN_VOCAB_SIZE, buildTinyQwenGguf, tinyQwenPath, writeTinyQwenGguf } from './tinyQwen.ts';

describe('tiny Qwen 2.5 test model', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 's2t-tinyqwen-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('is a GGUF v3 qwen2 file with the Qwen vocabulary, special tokens and chat template', async () => {
    const path = writeTinyQwenGguf(join(dir, 'a.gguf'), { seed: 5, blocks: 2, embd: 32 });
    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    assert.equal(info.version, 3);
    assert.equal(info.metadata.general.architecture, 'qwen2');
    assert.equal(info.metadata.general.alignment, 32);
    const tok = info.metadata.tokenizer.ggml;
    assert.equal(tok.model, 'gpt2');
    assert.equal(tok.pre, 'qwen2');
    assert.equal(tok.tokens.length, QWEN_VOCAB_SIZE);
    assert.equal(tok.tokens[151_645], '<|im_end|>');
    assert.equal(tok.tokens[151_664], '<|file_sep|>');
    assert.equal(tok.tokens[151_665], '[PAD151665]', "Qwen3's extra added tokens are left out");
    assert.equal(tok.eos_token_id, 151_645);
    assert.equal(tok.bos_token_id, 151_643);
    assert.equal(tok.padding_token_id, 151_643);
    assert.equal(tok.add_bos_token, false);
    assert.match(info.metadata.tokenizer.chat_template ?? '', /<\|im_start\|>assistant\\n/);
    const names = info.tensorInfo!.map((t) => t.name);
    assert.ok(names.includes('blk.1.ffn_down.weight'));
    assert.ok(!names.includes('output.weight'), 'output is tied to token_embd');
  });

  test('the same seed gives the same bytes, another seed other weights', () => {
    const a = buildTinyQwenGguf({ seed: 1, embd: 32 });
    assert.ok(a.equals(buildTinyQwenGguf({ seed: 1, embd: 32 })));
    assert.ok(!a.equals(buildTinyQwenGguf({ seed: 2, embd: 32 })));
  });

  test('the cached file is 15–25 MiB and reused within the run', () => {
    const p = tinyQwenPath();
    const size = statSync(p).size / 2 ** 20;
    assert.ok(size >= 15 && size <= 25, `${size.toFixed(1)} MiB`);
    assert.equal(tinyQwenPath(), p);
  });

  test('sizes outside what the recipe supports are refused', () => {
    assert.throws(() => buildTinyQwenGguf({ blocks: 3 }), /blocks/);
    assert.throws(() => buildTinyQwenGguf({ embd: 100 }), /embd/);
  });
});
