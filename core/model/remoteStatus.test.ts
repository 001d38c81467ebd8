// The statuses a remote engine reports name its server by host and kind (what the tray shows as
// "Remote: <host>"), in every state it reaches — ready, generating, and a server that cannot be
// used — and never carry its API key or the URL's path.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { MemorySecretStore } from '../secrets/secretStore.ts';
import { startOpenAiTestServer } from '../../test/support/openaiServer.ts';
import type { OpenAiTestServer } from '../../test/support/openaiServer.ts';
import { cooperativeAnswer } from '../../test/support/scriptedModel.ts';
import type { RemoteEngineSettings } from './engineConfig.ts';
import { SwitchableEngine } from './switchableEngine.ts';
import type { ModelStatus } from './types.ts';
import { parseSpec } from '../spec/index.ts';

const KEY = 'sk-remote-status-secret';
let server: OpenAiTestServer;
const settings = (baseUrl: string): RemoteEngineSettings => ({ baseUrl, model: server.modelName, timeoutSeconds: 60, maxParallel: 1, serverKind: 'auto' });

before(async () => {
  server = await startOpenAiTestServer({ flavor: 'llama-server', apiKey: KEY, contextSize: 2048, sequences: 1, steer: cooperativeAnswer });
});
after(async () => {
  await server?.close();
});

test('ready and generating statuses of a remote engine say which server, by host and kind, without the key', async () => {
  const engine = new SwitchableEngine({ gpu: false, secrets: new MemorySecretStore() });
  const seen: ModelStatus[] = [];
  const off = engine.onStatus((s) => seen.push(s));
  try {
    assert.equal('remote' in engine.status(), false, 'the drafter runs here');
    await engine.useRemote(settings(`${server.url}/v1`), { apiKey: KEY });
    const host = new URL(server.url).host;
    const label = { host, server: 'llama-server' };
    assert.deepEqual((engine.status() as { remote?: unknown }).remote, label);
    await engine.generate(parseSpec('<h1>Export</h1><p>FR-1: Users must export orders as CSV.</p>', { format: 'storage' }), { timeoutMs: 120_000 });
    const generating = seen.filter((s) => s.state === 'generating');
    assert.ok(generating.length > 0, 'a generation was reported');
    for (const s of generating) assert.deepEqual(s.remote, label);
    assert.deepEqual((engine.status() as { remote?: unknown }).remote, label, 'ready again, on the same server');
    for (const s of seen) assert.ok(!JSON.stringify(s).includes(KEY) && !JSON.stringify(s).includes('/v1'), JSON.stringify(s));
  } finally {
    off();
    await engine.dispose();
  }
});

test('a server that cannot be used is named by host in the error status', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((r) => closed.close(() => r()));
  const engine = new SwitchableEngine({ gpu: false, secrets: new MemorySecretStore() });
  try {
    await assert.rejects(engine.useRemote(settings(`http://127.0.0.1:${port}/v1`), { apiKey: KEY }));
    const s = engine.status();
    assert.equal(s.state, 'error');
    assert.deepEqual((s as { remote?: unknown }).remote, { host: `127.0.0.1:${port}`, server: 'inference server' });
    assert.ok(!JSON.stringify(s).includes(KEY));
    assert.equal(engine.kind, 'drafter', 'the engine stayed as it was');
  } finally {
    await engine.dispose();
  }
});
