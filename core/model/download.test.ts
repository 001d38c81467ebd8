import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelStore, ModelError } from './modelStore.ts';
import { downloadModel, sourceUrl } from './download.ts';
import type { DownloadProgress } from './download.ts';
import { StatusHub } from './statusHub.ts';
import type { ModelStatus } from './types.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';

/**
 * A model host on loopback: serves the tiny GGUF with Range support, throttled so a download takes
 * a moment. /hf/… and /hf-bad/… answer like Hugging Face's resolve URLs: a redirect to the file
 * that announces its SHA-256 in X-Linked-ETag (the right one, and a wrong one).
 */
function startHost(data: Buffer): Promise<{ server: Server; url: (path: string) => string; served: () => number; ranges: () => number[]; reset: () => void }> {
  let served = 0;
  // Requests answered before the last reset may still be streaming (a client that cancelled is
  // noticed a little later); only bytes of requests begun since the reset are counted.
  let generation = 0;
  let ranges: number[] = [];
  const sha = createHash('sha256').update(data).digest('hex');
  const server = createServer((req, res) => {
    const hf = /^\/(hf|hf-bad)\/tiny\.gguf$/.exec(req.url ?? '');
    if (hf) {
      res.writeHead(302, { location: '/models/tiny.gguf', 'x-linked-etag': `"${hf[1] === 'hf' ? sha : sha.replace(/^./, (c) => (c === '0' ? '1' : '0'))}"`, 'content-length': 0 }).end();
      return;
    }
    if (req.url !== '/models/tiny.gguf') {
      res.writeHead(404).end('no such model');
      return;
    }
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const mine = generation;
    if (req.method === 'GET') ranges.push(start);
    const end = m && m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
    res.writeHead(m ? 206 : 200, {
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(m ? { 'content-range': `bytes ${start}-${end}/${data.length}` } : {}),
    });
    // A HEAD answer has no body; streaming one anyway would count bytes that were never sent.
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let pos = start;
    const tick = (): void => {
      if (res.destroyed) return;
      if (pos > end) {
        res.end();
        return;
      }
      const n = Math.min(256 * 1024, end - pos + 1);
      res.write(data.subarray(pos, pos + n));
      if (mine === generation) served += n;
      pos += n;
      setTimeout(tick, 10);
    };
    tick();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        server,
        url: (p) => `http://127.0.0.1:${port}${p}`,
        served: () => served,
        ranges: () => ranges,
        reset: () => {
          served = 0;
          ranges = [];
          generation++;
        },
      });
    }),
  );
}

describe('model download', () => {
  let root: string;
  let host: Awaited<ReturnType<typeof startHost>>;
  const data = readFileSync(tinyQwenPath());

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 's2t-download-'));
    host = await startHost(data);
  });
  after(() => {
    host.server.closeAllConnections();
    host.server.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('hf: URIs resolve to the Hugging Face file URL; other schemes are refused', () => {
    assert.equal(
      sourceUrl('hf:bartowski/Qwen2.5-7B-Instruct-GGUF/Qwen2.5-7B-Instruct-Q4_K_M.gguf'),
      'https://huggingface.co/bartowski/Qwen2.5-7B-Instruct-GGUF/resolve/main/Qwen2.5-7B-Instruct-Q4_K_M.gguf',
    );
    assert.throws(() => sourceUrl('ftp://example.com/x.gguf'), /Unsupported model source/);
  });

  test('a download reports bytes, speed and ETA, verifies the size and lands a valid model in the folder', async () => {
    const store = new ModelStore(join(root, 'a'));
    const progress: DownloadProgress[] = [];
    const status = new StatusHub({ state: 'absent' });
    const states: ModelStatus[] = [];
    status.subscribe((s) => states.push(s));
    const model = await downloadModel(store, { source: host.url('/models/tiny.gguf'), onProgress: (p) => progress.push(p), status });
    assert.ok(states.some((s) => s.state === 'downloading' && s.model === 'tiny.gguf' && s.percent > 0 && s.percent <= 100));
    assert.deepEqual(status.get(), { state: 'absent' }, 'status returns to what it was');
    assert.equal(model.path, join(store.dir, 'tiny.gguf'));
    assert.equal(model.sizeBytes, data.length);
    assert.equal(model.architecture, 'qwen2');
    assert.ok(progress.length >= 2, `${progress.length} progress events`);
    const last = progress.at(-1)!;
    assert.equal(last.totalBytes, data.length);
    assert.equal(last.downloadedBytes, data.length);
    assert.ok(progress.some((p) => p.bytesPerSecond > 0));
    const downloaded = progress.map((p) => p.downloadedBytes);
    assert.deepEqual([...downloaded].sort((a, b) => a - b), downloaded, 'progress only grows');
    // ETA in seconds, by the same speed the progress reports (the download takes about a second).
    for (const p of progress) {
      assert.ok(p.etaSeconds >= 0, `eta ${p.etaSeconds}`);
      if (p.bytesPerSecond > 0 && p.downloadedBytes < p.totalBytes) {
        const expected = (p.totalBytes - p.downloadedBytes) / p.bytesPerSecond;
        assert.ok(Math.abs(p.etaSeconds - expected) < 0.01 + expected * 0.01, `eta ${p.etaSeconds} s, expected ${expected} s`);
      }
    }
    assert.ok(progress.some((p) => p.downloadedBytes < p.totalBytes && p.etaSeconds > 0 && p.etaSeconds < 60), progress.map((p) => p.etaSeconds).join(' '));
    assert.equal(last.etaSeconds, 0);
    const shown = states.filter((s): s is Extract<ModelStatus, { state: 'downloading' }> => s.state === 'downloading');
    assert.ok(shown.some((s) => s.etaSeconds !== undefined && s.etaSeconds >= 0 && s.etaSeconds < 60), JSON.stringify(shown.slice(0, 5)));
    assert.deepEqual(readdirSync(store.dir), ['tiny.gguf'], 'no temporary files left');
  });

  test('a source that announces the SHA-256 (Hugging Face X-Linked-ETag on its redirect) has the download checked against it', async () => {
    const store = new ModelStore(join(root, 'hf'));
    const model = await downloadModel(store, { source: host.url('/hf/tiny.gguf') });
    assert.deepEqual(readFileSync(model.path), data);

    const bad = new ModelStore(join(root, 'hf-bad'));
    await assert.rejects(
      downloadModel(bad, { source: host.url('/hf-bad/tiny.gguf') }),
      (e) => e instanceof ModelError && e.code === 'corrupt' && /does not match its SHA-256 announced by the source/.test(e.message) && /removed/.test(e.message),
    );
    assert.ok(!existsSync(join(bad.dir, 'tiny.gguf')), 'a file with the wrong hash is not kept as a model');
  });

  test('a SHA-256 given with the request is checked, and a malformed one is refused before downloading', async () => {
    const store = new ModelStore(join(root, 'sha'));
    const source = host.url('/models/tiny.gguf');
    const sha = createHash('sha256').update(data).digest('hex');
    await assert.rejects(
      downloadModel(store, { source, sha256: sha.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) }),
      (e) => e instanceof ModelError && e.code === 'corrupt' && /given for the download/.test(e.message),
    );
    assert.ok(!existsSync(join(store.dir, 'tiny.gguf')));
    host.reset();
    await assert.rejects(downloadModel(store, { source, sha256: 'abc' }), (e) => e instanceof ModelError && /not a SHA-256 hash/.test(e.message));
    assert.equal(host.served(), 1, 'only the reachability check was sent');
    const model = await downloadModel(store, { source, sha256: sha.toUpperCase() });
    assert.equal(model.sizeBytes, data.length);
  });

  test('a cancelled download keeps its partial file and the next download resumes it', async () => {
    const store = new ModelStore(join(root, 'b'));
    const ac = new AbortController();
    const source = host.url('/models/tiny.gguf');
    host.reset();
    await assert.rejects(
      downloadModel(store, { source, signal: ac.signal, onProgress: (p) => p.percent > 85 && ac.abort() }),
      (e) => e instanceof ModelError && e.code === 'cancelled' && /resumes/.test(e.message),
    );
    assert.ok(existsSync(join(store.dir, 'tiny.gguf.ipull')), 'partial file kept');
    assert.ok(!existsSync(join(store.dir, 'tiny.gguf')), 'no half model under the final name');
    host.reset();
    const model = await downloadModel(store, { source });
    assert.equal(model.sizeBytes, data.length);
    assert.ok(host.served() < data.length, `resumed: ${host.served()} of ${data.length} bytes fetched again (GET ranges from ${host.ranges().join(', ')})`);
    assert.deepEqual(readFileSync(model.path), data);
  });

  test('an unreachable model host fails within seconds with a clear error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const store = new ModelStore(join(root, 'c'));
    const started = Date.now();
    const status = new StatusHub({ state: 'absent' });
    await assert.rejects(
      downloadModel(store, { source: `http://127.0.0.1:${port}/x.gguf`, status }),
      (e) => e instanceof ModelError && e.code === 'unreachable' && /Cannot reach http:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED/.test(e.message),
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.equal(status.get().state, 'error');
    assert.match((status.get() as { message: string }).message, /Cannot reach/);
  });

  test('a model the host does not have is reported with its HTTP status', async () => {
    const store = new ModelStore(join(root, 'd'));
    await assert.rejects(
      downloadModel(store, { source: host.url('/models/missing.gguf') }),
      (e) => e instanceof ModelError && e.code === 'unreachable' && /HTTP 404/.test(e.message),
    );
  });

  test('a download cannot write outside the models folder', async () => {
    const store = new ModelStore(join(root, 'e'));
    await assert.rejects(
      downloadModel(store, { source: host.url('/models/tiny.gguf'), fileName: '../outside.gguf' }),
      (e) => e instanceof ModelError && e.code === 'outside_folder',
    );
    assert.ok(!existsSync(join(root, 'outside.gguf')));
  });
});
