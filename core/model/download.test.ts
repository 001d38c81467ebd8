import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelStore, ModelError } from './modelStore.ts';
import { allowLoopbackForTests, downloadModel, sourceUrl } from './download.ts';
import type { DownloadProgress, DownloadRequest } from './download.ts';
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

/** The downloads in these tests come from a loopback host, which only a test fetch may reach. */
const loopback = allowLoopbackForTests();
const get = (store: ModelStore, req: DownloadRequest) => downloadModel(store, { fetch: loopback, ...req });

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
    const model = await get(store, { source: host.url('/models/tiny.gguf'), onProgress: (p) => progress.push(p), status });
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
    const model = await get(store, { source: host.url('/hf/tiny.gguf') });
    assert.deepEqual(readFileSync(model.path), data);

    const bad = new ModelStore(join(root, 'hf-bad'));
    await assert.rejects(
      get(bad, { source: host.url('/hf-bad/tiny.gguf') }),
      (e) => e instanceof ModelError && e.code === 'corrupt' && /does not match its SHA-256 announced by the source/.test(e.message) && /removed/.test(e.message),
    );
    assert.ok(!existsSync(join(bad.dir, 'tiny.gguf')), 'a file with the wrong hash is not kept as a model');
  });

  test('a SHA-256 given with the request is checked, and a malformed one is refused before downloading', async () => {
    const store = new ModelStore(join(root, 'sha'));
    const source = host.url('/models/tiny.gguf');
    const sha = createHash('sha256').update(data).digest('hex');
    await assert.rejects(
      get(store, { source, sha256: sha.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')) }),
      (e) => e instanceof ModelError && e.code === 'corrupt' && /given for the download/.test(e.message),
    );
    assert.ok(!existsSync(join(store.dir, 'tiny.gguf')));
    host.reset();
    await assert.rejects(get(store, { source, sha256: 'abc' }), (e) => e instanceof ModelError && /not a SHA-256 hash/.test(e.message));
    assert.equal(host.served(), 1, 'only the reachability check was sent');
    const model = await get(store, { source, sha256: sha.toUpperCase() });
    assert.equal(model.sizeBytes, data.length);
  });

  test('a cancelled download keeps its partial file and the next download resumes it', async () => {
    const store = new ModelStore(join(root, 'b'));
    const ac = new AbortController();
    const source = host.url('/models/tiny.gguf');
    host.reset();
    await assert.rejects(
      get(store, { source, signal: ac.signal, onProgress: (p) => p.percent > 85 && ac.abort() }),
      (e) => e instanceof ModelError && e.code === 'cancelled' && /resumes/.test(e.message),
    );
    assert.ok(existsSync(join(store.dir, 'tiny.gguf.part')), 'partial file kept');
    assert.ok(!existsSync(join(store.dir, 'tiny.gguf')), 'no half model under the final name');
    host.reset();
    const model = await get(store, { source });
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
      get(store, { source: `http://127.0.0.1:${port}/x.gguf`, status }),
      (e) => e instanceof ModelError && e.code === 'unreachable' && /Cannot reach http:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED/.test(e.message),
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    assert.equal(status.get().state, 'error');
    assert.match((status.get() as { message: string }).message, /Cannot reach/);
  });

  test('a model the host does not have is reported with its HTTP status', async () => {
    const store = new ModelStore(join(root, 'd'));
    await assert.rejects(
      get(store, { source: host.url('/models/missing.gguf') }),
      (e) => e instanceof ModelError && e.code === 'unreachable' && /HTTP 404/.test(e.message),
    );
  });

  test('a download cannot write outside the models folder', async () => {
    const store = new ModelStore(join(root, 'e'));
    await assert.rejects(
      get(store, { source: host.url('/models/tiny.gguf'), fileName: '../outside.gguf' }),
      (e) => e instanceof ModelError && e.code === 'outside_folder',
    );
    assert.ok(!existsSync(join(root, 'outside.gguf')));
  });

  test('sources that ignore Range, close mid-stream or lie about the length end as a failure, never as an error that ends the process', async () => {
    const escaped: unknown[] = [];
    const onEscape = (e: unknown): void => void escaped.push(e);
    process.on('unhandledRejection', onEscape);
    process.on('uncaughtException', onEscape);
    const bad = createServer((req, res) => {
      const mode = /^\/(norange|close|lie)\//.exec(req.url ?? '')?.[1];
      if (mode === 'norange') {
        res.writeHead(200, { 'content-length': data.length }).end(data);
      } else if (mode === 'close') {
        res.writeHead(200, { 'content-length': data.length, 'accept-ranges': 'bytes' });
        if (req.headers.range === 'bytes=0-0') return void res.end(data.subarray(0, data.length));
        res.write(data.subarray(0, 100_000));
        setTimeout(() => res.destroy(), 30);
      } else if (mode === 'lie') {
        res.writeHead(200, { 'content-length': data.length + 1000 });
        res.end(data, () => res.socket?.destroy());
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    const at = (path: string) => `http://127.0.0.1:${(bad.address() as AddressInfo).port}${path}`;
    try {
      // Ignores Range: the partial file from an earlier attempt is replaced, not spliced.
      const store = new ModelStore(join(root, 'norange'));
      mkdirSync(store.dir, { recursive: true });
      writeFileSync(join(store.dir, 'tiny.gguf.part'), Buffer.alloc(5000, 7));
      const model = await get(store, { source: at('/norange/tiny.gguf') });
      assert.deepEqual(readFileSync(model.path), data);

      const closing = new ModelStore(join(root, 'close'));
      await assert.rejects(get(closing, { source: at('/close/tiny.gguf') }), (e) => e instanceof ModelError && e.code === 'download_failed' && /interrupted after \d+ of \d+ bytes.*resume/.test(e.message));
      assert.ok(existsSync(join(closing.dir, 'tiny.gguf.part')), 'the partial file is kept for a resume');
      assert.ok(!existsSync(join(closing.dir, 'tiny.gguf')));

      const lying = new ModelStore(join(root, 'lie'));
      await assert.rejects(get(lying, { source: at('/lie/tiny.gguf'), stallTimeoutMs: 2000 }), (e) => e instanceof ModelError && /download_failed|size_mismatch/.test(e.code));
      assert.ok(!existsSync(join(lying.dir, 'tiny.gguf')), 'no model under the final name');
      // Errors from a library's background work surfaced after the failure in the past: wait for them.
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      process.off('unhandledRejection', onEscape);
      process.off('uncaughtException', onEscape);
      bad.closeAllConnections();
      bad.close();
    }
    assert.deepEqual(escaped.map(String), [], 'nothing escaped the download');
  });

  describe('where models may come from', () => {
    const store = () => new ModelStore(join(root, 'policy'));
    const calls: string[] = [];
    const stub = (answer: (url: URL) => Response | Promise<Response>): typeof fetch =>
      (async (input: string | URL | Request) => {
        const url = new URL(input instanceof Request ? input.url : input);
        calls.push(url.href);
        return answer(url);
      }) as typeof fetch;
    const publicDns = async (host: string) => (host.startsWith('internal') ? ['10.1.2.3'] : ['93.184.216.34']);

    test('http and hosts off the allow-list are refused before any request; an admin-added host is allowed', async () => {
      calls.length = 0;
      const never = stub(() => new Response('x'));
      await assert.rejects(downloadModel(store(), { source: 'http://127.0.0.1:8080/x.gguf', fetch: never }), (e) => e instanceof ModelError && /https only/.test(e.message));
      await assert.rejects(downloadModel(store(), { source: 'https://models.example.com/x.gguf', fetch: never, policy: { resolve: publicDns } }), (e) => e instanceof ModelError && /not on that list.*SPEC2TICKETS_MODEL_DOWNLOAD_HOSTS/.test(e.message));
      await assert.rejects(downloadModel(store(), { source: 'https://huggingface.co:8443/a/b/resolve/main/x.gguf', fetch: never, policy: { resolve: publicDns } }), (e) => e instanceof ModelError && /on the https port/.test(e.message));
      await assert.rejects(downloadModel(store(), { source: 'https://10.0.0.7/x.gguf', fetch: never, policy: { extraHosts: ['10.0.0.7'] } }), (e) => e instanceof ModelError && /not on that list/.test(e.message));
      assert.deepEqual(calls, [], 'nothing was sent');
      await assert.rejects(
        downloadModel(store(), { source: 'https://models.example.com/x.gguf', fetch: stub(() => new Response('', { status: 404 })), policy: { extraHosts: ['example.com'], resolve: publicDns } }),
        (e) => e instanceof ModelError && /HTTP 404/.test(e.message),
      );
      assert.deepEqual(calls, ['https://models.example.com/x.gguf']);
      // An admin-added internal mirror is the admin's choice.
      await assert.rejects(
        downloadModel(store(), { source: 'https://internal.corp.example/x.gguf', fetch: stub(() => new Response('', { status: 404 })), policy: { extraHosts: ['corp.example'], resolve: publicDns } }),
        (e) => e instanceof ModelError && /HTTP 404/.test(e.message),
      );
    });

    test('a redirect to the local network, loopback or plain http is refused without following it', async () => {
      for (const location of ['https://internal.example/x.gguf', 'https://127.0.0.1/x.gguf', 'https://[::1]:8080/x.gguf', 'http://cdn.example/x.gguf']) {
        calls.length = 0;
        const redirecting = stub((url) => (url.hostname === 'huggingface.co' ? new Response(null, { status: 302, headers: { location } }) : new Response('secret')));
        await assert.rejects(
          downloadModel(store(), { source: 'hf:owner/repo/x.gguf', fetch: redirecting, policy: { resolve: publicDns } }),
          (e) => e instanceof ModelError && /not a public internet address|non-https/.test(e.message),
          location,
        );
        assert.equal(calls.length, 1, `only the source was asked (${location})`);
      }
    });

    test('a failed connection is reported by its kind only, not with what the network said about other hosts or ports', async () => {
      const failing = stub(() => {
        throw new TypeError('fetch failed: connect ECONNREFUSED 10.9.9.9:22 (ssh banner SSH-2.0-OpenSSH)');
      });
      await assert.rejects(downloadModel(store(), { source: 'hf:owner/repo/x.gguf', fetch: failing, policy: { resolve: publicDns } }), (e) => {
        const m = (e as Error).message;
        return e instanceof ModelError && e.code === 'unreachable' && /Cannot reach https:\/\/huggingface\.co .*\(connection failed\)/.test(m) && !/10\.9\.9\.9|22|SSH/.test(m);
      });
    });
  });
});
