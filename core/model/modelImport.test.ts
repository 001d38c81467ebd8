// Importing a model file: only .gguf files, only inside the folders the admin allows (links
// followed), and an error about a file never quotes what the file contains.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';
import { ModelControl } from './modelControl.ts';
import { ModelError } from './modelStore.ts';
import { SwitchableEngine } from './switchableEngine.ts';
import { DownloadRequestSchema } from '../server/modelApi.ts';

describe('model import', () => {
  let root: string;
  let allowed: string;
  let elsewhere: string;
  let control: ModelControl;
  const engine = new SwitchableEngine({ gpu: false });
  before(() => {
    root = mkdtempSync(join(tmpdir(), 's2t-import-'));
    allowed = join(root, 'allowed');
    elsewhere = join(root, 'elsewhere');
    mkdirSync(allowed);
    mkdirSync(elsewhere);
    control = new ModelControl({ engine, dataDir: join(root, 'data'), importDirs: [allowed] });
  });
  after(async () => {
    await engine.dispose();
    rmSync(root, { recursive: true, force: true });
  });
  const refused = (code: string, also?: RegExp) => (e: unknown) => e instanceof ModelError && e.code === code && (!also || also.test(e.message));

  test('a .gguf inside an allowed folder is imported', async () => {
    copyFileSync(tinyQwenPath(), join(allowed, 'tiny.gguf'));
    const model = await control.importFile(join(allowed, 'tiny.gguf'));
    assert.equal(model.fileName, 'tiny.gguf');
    assert.ok(existsSync(join(root, 'data', 'models', 'tiny.gguf')));
  });

  test('a file outside the allowed folders, or a link that leads outside, is refused', async () => {
    copyFileSync(tinyQwenPath(), join(elsewhere, 'other.gguf'));
    await assert.rejects(control.importFile(join(elsewhere, 'other.gguf')), refused('outside_folder', /imported from .*allowed only.*SPEC2TICKETS_MODEL_IMPORT_DIRS/));
    symlinkSync(join(elsewhere, 'other.gguf'), join(allowed, 'link.gguf'));
    await assert.rejects(control.importFile(join(allowed, 'link.gguf')), refused('outside_folder'));
    await assert.rejects(control.importFile(join(allowed, '..', 'elsewhere', 'other.gguf')), refused('outside_folder'));
    assert.ok(!existsSync(join(root, 'data', 'models', 'other.gguf')) && !existsSync(join(root, 'data', 'models', 'link.gguf')));
  });

  test('only .gguf names are accepted, and an error about a file never quotes its contents', async () => {
    writeFileSync(join(allowed, 'shadow'), 'root:$6$secret-hash:19000:0:99999:7:::\n');
    await assert.rejects(control.importFile(join(allowed, 'shadow')), refused('not_gguf', /Only \.gguf model files/));
    writeFileSync(join(allowed, 'notes.gguf'), 'GGUX password=hunter2 and more private notes\n'.repeat(10));
    await assert.rejects(control.importFile(join(allowed, 'notes.gguf')), (e) => refused('not_gguf', /notes\.gguf is not a GGUF model file/)(e) && !/hunter2|password|GGUX|private/.test((e as Error).message));
  });

  test('a download URL with a malformed percent-escape is refused as a bad request', () => {
    assert.equal(DownloadRequestSchema.safeParse({ url: 'https://huggingface.co/a/b/resolve/main/%' }).success, false);
    assert.equal(DownloadRequestSchema.safeParse({ url: 'https://huggingface.co/a/b/resolve/main/Qwen%202.gguf' }).success, true);
  });
});
