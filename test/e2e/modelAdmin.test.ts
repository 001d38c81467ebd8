// Model management over the admin API, on the real runtime with the tiny Qwen model: import by
// path, load (the engine switches to Qwen and jobs are written by it), unload back to the drafter,
// refusals (deleting the model in use, files that are not models), a background download from a
// model host on loopback with progress on the event stream and cancel, and the choice surviving a
// restart.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startHarness, type Harness } from './support/inProcess.ts';
import { tinyQwenPath } from '../support/tinyQwen.ts';
import { SwitchableEngine } from '../../core/model/switchableEngine.ts';
import type { SwitchableEngineOptions } from '../../core/model/switchableEngine.ts';
import { parseBreakdown } from '../../core/breakdown/schema.ts';
import type { ModelResponse, JobDetailResponse } from '../../core/server/admin.ts';
import type { GeneratedBreakdownResponse } from '../../core/server/reviewRoutes.ts';
import type { DownloadResponse, InstalledResponse, LoadResponse, HardwareResponse, CatalogueResponse } from '../../core/server/modelApi.ts';

const PAGE = '<h1>Export</h1><p>FR-1: Users must export orders as CSV.</p><p>FR-2: The export must finish within 10 seconds.</p>';

// Small output limits keep random-weight generation (which fills every string to its limit) short.
const ENGINE: SwitchableEngineOptions = {
  gpu: false,
  llama: {
    load: { contextSize: 2048, threads: 1 },
    limits: { epicsMax: 2, storiesMax: 2, subtasksMax: 1, titleMax: 24, descriptionMax: 16, criteriaMax: 1, criterionMax: 16, sourcesMax: 2 },
    seed: 7,
  },
};

// Job polling every 50 ms would trip the public API's rate limit during a model generation.

/** A model host on loopback serving the tiny GGUF with Range support; /slow/ trickles so a download can be cancelled. */
function startModelHost(data: Buffer): Promise<{ server: Server; url: (p: string) => string }> {
  const server = createServer((req, res) => {
    const slow = req.url?.startsWith('/slow/');
    if (!req.url?.endsWith('/tiny-qwen.gguf')) {
      res.writeHead(404).end('no such model');
      return;
    }
    const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const end = m && m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
    res.writeHead(m ? 206 : 200, { 'content-length': end - start + 1, 'accept-ranges': 'bytes', ...(m ? { 'content-range': `bytes ${start}-${end}/${data.length}` } : {}) });
    let pos = start;
    const tick = (): void => {
      if (res.destroyed) return;
      if (pos > end) return void res.end();
      const n = Math.min(slow ? 16 * 1024 : 512 * 1024, end - pos + 1);
      res.write(data.subarray(pos, pos + n));
      pos += n;
      setTimeout(tick, slow ? 50 : 5);
    };
    tick();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: (p) => `http://127.0.0.1:${(server.address() as AddressInfo).port}${p}` })));
}

/** Reads the admin event stream until `until` holds for the text so far (or the timeout passes). */
async function readEvents(h: Harness, until: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let text = '';
  try {
    const res = await h.admin('/api/events', { signal: ac.signal });
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (until(text)) break;
    }
  } catch (err) {
    if (!ac.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return text;
}

async function waitFor<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await read();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  } while (Date.now() < end);
  throw new Error(`${what} did not happen in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

describe('model management over the admin API (tiny Qwen, real runtime)', () => {
  let h: Harness;
  let engine: SwitchableEngine;
  let temp: string;
  let host: Awaited<ReturnType<typeof startModelHost>>;
  const tiny = tinyQwenPath();
  const tinyName = basename(tiny);
  const model = async () => (await (await h.admin('/api/model')).json()) as ModelResponse;
  const installed = async () => (await (await h.admin('/api/model/installed')).json()) as InstalledResponse;

  before(async () => {
    temp = mkdtempSync(join(tmpdir(), 's2t-model-admin-'));
    engine = new SwitchableEngine(ENGINE);
    h = await startHarness({ engine, dataDir: join(temp, 'data') });
    h.fake.addPage({ id: '501', title: 'Order export', storage: PAGE });
    h.fake.addPage({ id: '502', title: 'Order export, second draft', storage: PAGE });
    host = await startModelHost(readFileSync(tiny));
  });
  after(async () => {
    await h?.close();
    await engine?.dispose();
    host?.server.closeAllConnections();
    host?.server.close();
    rmSync(temp, { recursive: true, force: true });
  });

  test('hardware and the catalogue answer with this machine\'s threads and a suggested model', async () => {
    const hw = (await (await h.admin('/api/model/hardware')).json()) as HardwareResponse;
    assert.equal(hw.gpu, false);
    assert.ok(hw.cpuCores >= 1 && hw.threads === 1, `threads come from the engine settings: ${JSON.stringify(hw)}`);
    const cat = (await (await h.admin('/api/model/catalogue')).json()) as CatalogueResponse;
    assert.ok(cat.models.some((m) => m.id === cat.suggestion.id));
    assert.equal(cat.suggestion.fits, false, 'without VRAM nothing fits entirely');
    assert.match(cat.suggestion.reason, /CPU/);
  });

  test('an imported tiny GGUF is listed, loads, writes the next job, and unload returns to the drafter', async () => {
    assert.equal((await model()).engine, 'drafter');
    const imp = await h.admin('/api/model/import', { json: { path: tiny } });
    assert.equal(imp.status, 201, await imp.clone().text());
    const list = await installed();
    assert.deepEqual(list.models.map((m) => m.fileName), [tinyName]);
    assert.equal(list.models[0]!.architecture, 'qwen2');
    assert.equal(list.loaded, null);

    const load = await h.admin('/api/model/load', { json: { name: tinyName } });
    assert.equal(load.status, 200, await load.clone().text());
    const loaded = (await load.json()) as LoadResponse;
    assert.equal(loaded.status.state, 'ready');
    const now = await model();
    assert.equal(now.engine, tinyName);
    assert.deepEqual(now.status, { state: 'ready', model: tinyName, gpu: false });
    assert.equal((await installed()).loaded, tinyName);
    assert.equal((await h.backend.store.getSettings()).model, tinyName, 'the choice is saved for the next start');

    const jobId = ((await (await h.pub('/v1/jobs', { json: { pageId: '501', siteUrl: h.fake.url, requestedBy: 'pm@example.com' } })).json()) as { jobId: string }).jobId;
    await h.poll(jobId, (j) => j.state === 'awaiting_review', 60_000);
    const detail = (await (await h.admin(`/api/jobs/${jobId}`)).json()) as JobDetailResponse;
    const breakdown = parseBreakdown(((await (await h.admin(`/api/jobs/${jobId}/generated`)).json()) as GeneratedBreakdownResponse).generated.body);
    assert.ok(breakdown.generator.kind === 'model' || breakdown.generator.kind === 'mixed', `generated by the model: ${breakdown.generator.kind}`);
    assert.equal(breakdown.generator.model, tinyName);
    const report = detail.report;
    assert.ok(report && 'coverage' in report, `the breakdown was checked: ${JSON.stringify(report)}`);
    assert.deepEqual(report.coverage.uncovered, [], 'every requirement block is covered');

    const del = await h.admin(`/api/model/installed/${tinyName}`, { method: 'DELETE' });
    assert.equal(del.status, 409);
    const delBody = (await del.json()) as { code: string; message: string };
    assert.equal(delBody.code, 'in_use');
    assert.match(delBody.message, /unload it/);

    const unload = await h.admin('/api/model/unload', { json: {} });
    assert.equal(unload.status, 200);
    const after = await model();
    assert.equal(after.engine, 'drafter');
    assert.equal(after.status.state, 'absent');
    assert.equal((await h.backend.store.getSettings()).model, undefined);
    const job2 = ((await (await h.pub('/v1/jobs', { json: { pageId: '502', siteUrl: h.fake.url, requestedBy: 'pm@example.com' } })).json()) as { jobId: string }).jobId;
    assert.notEqual(job2, jobId);
    await h.poll(job2, (j) => j.state === 'awaiting_review');
    const g2 = (await (await h.admin(`/api/jobs/${job2}/generated`)).json()) as GeneratedBreakdownResponse;
    assert.equal(parseBreakdown(g2.generated.body).generator.kind, 'drafter');
  });

  test('a file that is not a GGUF, a missing file and a relative path are refused and the status is unaffected', async () => {
    const before = (await model()).status;
    const text = join(temp, 'notes.gguf');
    writeFileSync(text, 'these are meeting notes, not a model\n'.repeat(20));
    const bad = await h.admin('/api/model/import', { json: { path: text } });
    assert.equal(bad.status, 422);
    const badBody = (await bad.json()) as { code: string; message: string };
    assert.equal(badBody.code, 'not_gguf');
    assert.match(badBody.message, /notes\.gguf is not a GGUF model file/);
    const missing = await h.admin('/api/model/import', { json: { path: join(temp, 'nowhere.gguf') } });
    assert.equal(missing.status, 404);
    assert.match(((await missing.json()) as { message: string }).message, /not found.*nowhere\.gguf/);
    const relative = await h.admin('/api/model/import', { json: { path: 'models/x.gguf' } });
    assert.equal(relative.status, 400);
    assert.match(((await relative.json()) as { message: string }).message, /absolute/);
    assert.deepEqual((await model()).status, before);
    assert.ok(!(await installed()).models.some((m) => m.fileName === 'notes.gguf'));
  });

  test('loading a truncated model says why, the status shows the error, and the drafter keeps serving', async () => {
    const data = readFileSync(tiny);
    const cut = join(temp, 'cut.gguf');
    writeFileSync(cut, data.subarray(0, Math.floor(data.length / 2)));
    copyFileSync(cut, join(h.dataDir, 'models', 'cut.gguf'));
    const res = await h.admin('/api/model/load', { json: { name: 'cut.gguf' } });
    assert.equal(res.status, 422);
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, 'corrupt');
    assert.match(body.message, /cut\.gguf is truncated/);
    const now = await model();
    assert.equal(now.engine, 'drafter');
    assert.equal(now.status.state, 'error');
    assert.equal((await h.admin('/api/model/load', { json: { name: 'absent.gguf' } })).status, 404);
    assert.equal((await h.admin('/api/model/load', { json: { name: '../../etc/passwd' } })).status, 400);
    assert.equal((await h.admin('/api/model/installed/cut.gguf', { method: 'DELETE' })).status, 200);
  });

  test('a download runs in the background with progress on the event stream, a second is refused, and cancel stops one', async () => {
    // Until a progress event and, after the last one, the status that follows the download.
    const events = readEvents(h, (t) => {
      const i = t.lastIndexOf('"state":"downloading"');
      return i >= 0 && /"state":"(absent|error|ready)"/.test(t.slice(i));
    });
    await new Promise((r) => setTimeout(r, 100));
    const start = await h.admin('/api/model/download', { json: { url: host.url('/fast/tiny-qwen.gguf') } });
    assert.equal(start.status, 202);
    const started = (await start.json()) as DownloadResponse;
    assert.equal(started.download?.fileName, 'tiny-qwen.gguf');
    assert.equal(started.download?.state, 'running');
    const again = await h.admin('/api/model/download', { json: { url: host.url('/fast/tiny-qwen.gguf'), fileName: 'other.gguf' } });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { code: string }).code, 'busy');

    const done = await waitFor(async () => ((await (await h.admin('/api/model/download')).json()) as DownloadResponse).download, (d) => d?.state !== 'running', 'download end');
    assert.equal(done?.state, 'done', JSON.stringify(done));
    const text = await events;
    const percents = [...text.matchAll(/"state":"downloading","model":"tiny-qwen.gguf","percent":([\d.]+)/g)].map((m) => Number(m[1]));
    assert.ok(percents.length >= 2 && percents.some((p) => p > 0), `progress events on SSE: ${percents.join(', ')}`);
    assert.ok((await installed()).models.some((m) => m.fileName === 'tiny-qwen.gguf' && m.architecture === 'qwen2'));

    const slow = await h.admin('/api/model/download', { json: { url: host.url('/slow/tiny-qwen.gguf'), fileName: 'slow.gguf' } });
    assert.equal(slow.status, 202);
    await waitFor(async () => ((await (await h.admin('/api/model/download')).json()) as DownloadResponse).download, (d) => (d?.downloadedBytes ?? 0) > 0, 'slow download progress');
    const cancel = await h.admin('/api/model/download', { method: 'DELETE' });
    assert.equal(cancel.status, 200);
    assert.equal(((await cancel.json()) as DownloadResponse).download?.state, 'cancelled');
    assert.ok(!(await installed()).models.some((m) => m.fileName === 'slow.gguf'), 'a cancelled download is not listed as a model');
    assert.notEqual((await model()).status.state, 'downloading');
    assert.equal((await h.admin('/api/model/download', { method: 'DELETE' })).status, 404);
  });

  test('the loaded model is loaded again when the backend restarts', async () => {
    assert.equal((await h.admin('/api/model/load', { json: { name: 'tiny-qwen.gguf' } })).status, 200);
    await h.close();
    await engine.dispose();
    engine = new SwitchableEngine(ENGINE);
    h = await startHarness({ engine, dataDir: join(temp, 'data') });
    const m = await waitFor(model, (x) => x.status.state === 'ready', 'model ready after restart');
    assert.equal(m.engine, 'tiny-qwen.gguf');
    assert.ok(existsSync(join(h.dataDir, 'models', 'tiny-qwen.gguf')));
  });
});
