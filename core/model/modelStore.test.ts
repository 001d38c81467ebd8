import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelStore, ModelError, inspectGguf } from './modelStore.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';

describe('models folder', () => {
  let root: string;
  let store: ModelStore;
  const tiny = tinyQwenPath();

  before(() => {
    root = mkdtempSync(join(tmpdir(), 's2t-models-'));
    store = new ModelStore(join(root, 'models'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a GGUF file is inspected: architecture, name, trained context, tensor count', async () => {
    const s = await inspectGguf(tiny);
    assert.equal(s.architecture, 'qwen2');
    assert.match(s.name ?? '', /^tiny-qwen2\.5/);
    assert.equal(s.contextLength, 32_768);
    assert.equal(s.tensorCount, 14);
  });

  test('importing copies a validated model into the folder and lists it', async () => {
    const imported = await store.import(tiny, { fileName: 'qwen-tiny.gguf' });
    assert.equal(imported.path, join(store.dir, 'qwen-tiny.gguf'));
    assert.ok(existsSync(tiny), 'copy keeps the original');
    const list = await store.list();
    assert.deepEqual(list.map((m) => [m.fileName, m.architecture, m.error]), [['qwen-tiny.gguf', 'qwen2', undefined]]);
    assert.equal(list[0]!.sizeBytes, readFileSync(tiny).length);
  });

  test('importing with move takes the file out of its old place', async () => {
    const src = join(root, 'to-move.gguf');
    copyFileSync(tiny, src);
    await store.import(src, { mode: 'move' });
    assert.ok(!existsSync(src));
    assert.ok(existsSync(join(store.dir, 'to-move.gguf')));
  });

  test('a second import under the same name is refused instead of overwriting', async () => {
    await assert.rejects(store.import(tiny, { fileName: 'qwen-tiny.gguf' }), (e) => e instanceof ModelError && e.code === 'exists');
  });

  test('a text file posing as a model is refused with a clear error and nothing is copied', async () => {
    const fake = join(root, 'fake.gguf');
    writeFileSync(fake, 'not a model at all, just text\n'.repeat(20));
    await assert.rejects(store.import(fake), (e) => e instanceof ModelError && e.code === 'not_gguf' && /not a GGUF model file/.test(e.message));
    assert.ok(!existsSync(join(store.dir, 'fake.gguf')));
  });

  test('a truncated model is refused as damaged', async () => {
    const cut = join(root, 'cut.gguf');
    writeFileSync(cut, readFileSync(tiny).subarray(0, 12_000_000));
    await assert.rejects(store.import(cut), (e) => e instanceof ModelError && e.code === 'corrupt' && /truncated/.test(e.message));
  });

  test('a broken file already in the folder is listed with its error rather than hiding the others', async () => {
    writeFileSync(join(store.dir, 'broken.gguf'), 'GGUF');
    const list = await store.list();
    const broken = list.find((m) => m.fileName === 'broken.gguf');
    assert.ok(broken?.error, 'broken file carries an error');
    assert.ok(list.some((m) => m.fileName === 'qwen-tiny.gguf' && !m.error));
  });

  test('deleting removes a model from the folder', async () => {
    await store.delete('broken.gguf');
    assert.ok(!existsSync(join(store.dir, 'broken.gguf')));
    await assert.rejects(store.delete('broken.gguf'), (e) => e instanceof ModelError && e.code === 'not_found');
  });

  test('paths outside the models folder are refused for delete and import targets', async () => {
    const outside = join(root, 'keep-me.gguf');
    copyFileSync(tiny, outside);
    for (const p of [outside, '../keep-me.gguf', '../../etc/passwd', store.dir]) {
      await assert.rejects(store.delete(p), (e) => e instanceof ModelError && e.code === 'outside_folder', p);
    }
    await assert.rejects(store.import(tiny, { fileName: '../escape.gguf' }), (e) => e instanceof ModelError && e.code === 'outside_folder');
    assert.ok(existsSync(outside));
    assert.ok(!existsSync(join(root, 'escape.gguf')));
  });
});
