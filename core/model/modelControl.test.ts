import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { ModelControl } from './modelControl.ts';
import { allowLoopbackForTests } from './download.ts';
import { DRAFTER_MESSAGE, SwitchableEngine } from './switchableEngine.ts';
import type { ModelStatus } from './types.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';

/**
 * A model host on loopback with Range support. /gated/ holds back the file's last bytes until
 * release() is called, so a test can load or unload a model while a download is certainly running;
 * /garbage/ serves bytes that are not a GGUF model.
 */
function startHost(data: Buffer): Promise<{ server: Server; url: (path: string) => string; release: () => void; rearm: () => void }> {
  const tail = 64 * 1024;
  let gate!: Promise<void>;
  let open!: () => void;
  const rearm = (): void => {
    gate = new Promise<void>((r) => (open = r));
  };
  rearm();
  const garbage = Buffer.alloc(256 * 1024, 'not a model ');
  const server = createServer((req, res) => {
    const body = req.url?.startsWith('/gated/') ? data : req.url?.startsWith('/garbage/') ? garbage : undefined;
    if (!body) {
      res.writeHead(404).end('no such model');
      return;
    }
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
    res.writeHead(m ? 206 : 200, {
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
    });
    const held = body === data ? body.length - tail : body.length;
    const head = Math.min(end + 1, Math.max(start, held));
    res.write(body.subarray(start, head));
    if (head > end) {
      res.end();
      return;
    }
    void gate.then(() => {
      if (!res.destroyed) res.end(body.subarray(head, end + 1));
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({ server, url: (p) => `http://127.0.0.1:${port}${p}`, release: () => open(), rearm });
    }),
  );
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('model status around a download (tiny Qwen, real runtime)', () => {
  let root: string;
  let host: Awaited<ReturnType<typeof startHost>>;
  let engine: SwitchableEngine;
  let control: ModelControl;
  const tiny = tinyQwenPath();
  const tinyName = basename(tiny);
  const status = (): ModelStatus => engine.status();

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 's2t-model-control-'));
    host = await startHost(readFileSync(tiny));
    engine = new SwitchableEngine({ gpu: false, llama: { load: { contextSize: 1024, threads: 1 } } });
    // The model host runs on loopback, which only a test fetch may download from.
    control = new ModelControl({ engine, dataDir: root, fetch: allowLoopbackForTests() });
    await control.importFile(tiny);
  });
  after(async () => {
    await control?.dispose();
    await engine?.dispose();
    host?.server.closeAllConnections();
    host?.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a model loaded while a download runs is shown as ready once the download ends', async () => {
    assert.equal(status().state, 'absent');
    host.rearm();
    control.startDownload({ url: host.url('/gated/tiny.gguf'), fileName: 'second.gguf' });
    await until(() => status().state === 'downloading', 'download progress');
    await control.load(tinyName);
    host.release();
    await control.downloadSettled();
    assert.equal(control.download()?.state, 'done');
    assert.deepEqual(status(), { state: 'ready', model: tinyName, gpu: false });
  });

  test('a model unloaded while a download runs leaves the drafter\'s status once the download ends', async () => {
    await control.load(tinyName);
    assert.equal(status().state, 'ready');
    host.rearm();
    control.startDownload({ url: host.url('/gated/tiny.gguf'), fileName: 'third.gguf' });
    await until(() => status().state === 'downloading', 'download progress');
    await control.unload();
    host.release();
    await control.downloadSettled();
    assert.equal(control.download()?.state, 'done');
    assert.deepEqual(status(), { state: 'absent', message: DRAFTER_MESSAGE });
  });

  test('a failed download keeps its reason in the download view and leaves the engine\'s status as it is', async () => {
    await control.load(tinyName);
    control.startDownload({ url: host.url('/garbage/notes.gguf') });
    await control.downloadSettled();
    const failed = control.download();
    assert.equal(failed?.state, 'failed');
    assert.match(failed?.message ?? '', /notes\.gguf is not a GGUF model file/);
    assert.deepEqual(status(), { state: 'ready', model: tinyName, gpu: false }, 'the loaded model still shows');

    await control.unload();
    control.startDownload({ url: host.url('/garbage/other.gguf') });
    await control.downloadSettled();
    assert.match(control.download()?.message ?? '', /other\.gguf is not a GGUF model file/);
    assert.deepEqual(status(), { state: 'absent', message: DRAFTER_MESSAGE }, 'the drafter serving is not shown as an error');
  });
});
