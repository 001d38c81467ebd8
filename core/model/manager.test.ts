import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelManager } from './manager.ts';
import { ModelError } from './modelStore.ts';
import { LlamaRuntime } from './runtime.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';

describe('model manager', () => {
  let dataDir: string;
  let runtime: LlamaRuntime;
  let manager: ModelManager;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 's2t-manager-'));
    runtime = await LlamaRuntime.open({ gpu: false });
    manager = new ModelManager({ dataDir, runtime });
  });
  after(async () => {
    await runtime.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('models live in the data folder, and nothing is downloaded until asked', async () => {
    assert.equal(manager.store.dir, join(dataDir, 'models'));
    assert.deepEqual(await manager.list(), []);
    assert.equal(manager.status.get().state, 'absent');
  });

  test('without GPU memory the suggestion is the smallest catalogue model, on the CPU', async () => {
    const s = await manager.suggest();
    assert.equal(s.model.id, 'qwen2.5-3b');
    assert.equal(s.fits, false);
  });

  test('a configured model resolves by file name in the folder or by its own path, and is validated', async () => {
    await manager.import(tinyQwenPath(), { fileName: 'tiny.gguf' });
    assert.equal(await manager.resolve('tiny.gguf'), join(dataDir, 'models', 'tiny.gguf'));
    assert.equal(await manager.resolve(tinyQwenPath()), tinyQwenPath());
    await assert.rejects(manager.resolve('absent.gguf'), (e) => e instanceof ModelError && e.code === 'not_found');
  });

  test('the loaded model cannot be deleted; once unloaded it can', async () => {
    await runtime.load(join(dataDir, 'models', 'tiny.gguf'), { contextSize: 512, threads: 1 });
    await assert.rejects(manager.delete('tiny.gguf'), (e) => e instanceof ModelError && e.code === 'in_use' && /is loaded/.test(e.message));
    await runtime.unload();
    await manager.delete('tiny.gguf');
    assert.ok(!existsSync(join(dataDir, 'models', 'tiny.gguf')));
  });

  test('downloading a catalogue model from an unreachable hub fails fast with a clear status', async () => {
    const refused: typeof fetch = async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    };
    const offline = new ModelManager({ dataDir, runtime, fetch: refused });
    await assert.rejects(offline.download('qwen2.5-7b'), (e) => e instanceof ModelError && e.code === 'unreachable' && /huggingface\.co.*Qwen2\.5-7B-Instruct-Q4_K_M\.gguf.*ENOTFOUND/.test(e.message));
    assert.equal(offline.status.get().state, 'error');
  });
});
