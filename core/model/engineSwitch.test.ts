// Choosing and switching engines: an OpenAI-compatible server becomes the engine without a restart
// (its settings saved in the data folder, its key in the secret store, never in the file), a server
// that cannot be used changes nothing but the status, the saved choice comes back at the next
// start, and a choice pinned by the environment cannot be changed from the Models page.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.ts';
import { MemorySecretStore } from '../secrets/secretStore.ts';
import { startOpenAiTestServer } from '../../test/support/openaiServer.ts';
import { cooperativeAnswer } from '../../test/support/scriptedModel.ts';
import type { OpenAiTestServer } from '../../test/support/openaiServer.ts';
import { startEngine } from './createEngine.ts';
import { EngineConfigError, engineChoiceFromConfig } from './engineConfig.ts';
import type { RemoteEngineSettings } from './engineConfig.ts';
import { InferenceServerError } from './openaiClient.ts';
import { SwitchableEngine } from './switchableEngine.ts';
import { parseSpec } from '../spec/index.ts';

const silent = { error: () => undefined, info: () => undefined };

describe('engine selection and switching', () => {
  let server: OpenAiTestServer;
  let root: string;
  const remote = (): RemoteEngineSettings => ({ baseUrl: `${server.url}/v1`, model: server.modelName, timeoutSeconds: 60, maxParallel: 2, serverKind: 'auto' });
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 's2t-engine-switch-'));
    server = await startOpenAiTestServer({ flavor: 'llama-server', apiKey: 'sk-switch-secret', contextSize: 2048, sequences: 1, steer: cooperativeAnswer });
  });
  after(async () => {
    await server?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('an inference server becomes the engine without a restart; its settings are saved without the key, the key in the secret store', async () => {
    const dataDir = join(root, 'a');
    const secrets = new MemorySecretStore();
    const engine = new SwitchableEngine({ gpu: false, dataDir, secrets });
    try {
      assert.equal(engine.kind, 'drafter');
      const view = await engine.useRemote(remote(), { apiKey: 'sk-switch-secret' });
      assert.equal(engine.kind, 'openai');
      assert.equal(view.remote?.connected, true);
      assert.equal(view.remote?.detected, 'llama-server');
      assert.equal(view.remote?.contextTokens, 2048);
      const host = new URL(server.url).host;
      assert.deepEqual(engine.status(), { state: 'ready', model: server.modelName, gpu: `llama-server at ${host}`, remote: { host, server: 'llama-server' } });
      assert.equal(engine.name, server.modelName);
      assert.equal(await secrets.get('inferenceApiKey'), 'sk-switch-secret');
      const file = join(dataDir, 'engine.json');
      const saved = readFileSync(file, 'utf8');
      assert.deepEqual(JSON.parse(saved), { kind: 'openai', remote: remote() });
      assert.ok(!saved.includes('sk-switch-secret'), 'the key is not in the file');
      assert.equal(statSync(file).mode & 0o077, 0, 'engine.json is readable by its owner only');
      assert.ok(!JSON.stringify(await engine.viewWithKey()).includes('sk-switch-secret'));

      // A generation on the server: the pipeline over HTTP, with the saved key.
      const b = await engine.generate(parseSpec('<h1>Export</h1><p>FR-1: Users must export orders as CSV.</p>', { format: 'storage' }), { timeoutMs: 120_000 });
      assert.ok(b.epics.length > 0);
      assert.ok(server.stats.authorizations.every((a) => a === 'Bearer sk-switch-secret'));

      await engine.useLocal();
      assert.equal(engine.kind, 'drafter');
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { kind: 'local' });
    } finally {
      await engine.dispose();
    }
  });

  test('a server that refuses the key changes nothing but the status, which says why', async () => {
    const engine = new SwitchableEngine({ gpu: false, dataDir: join(root, 'b'), secrets: new MemorySecretStore() });
    try {
      await assert.rejects(engine.useRemote(remote(), { apiKey: 'sk-wrong' }), (e) => e instanceof InferenceServerError && e.code === 'unauthorized' && !/sk-wrong/.test(e.message));
      assert.equal(engine.kind, 'drafter');
      const s = engine.status();
      assert.equal(s.state, 'error');
      assert.match((s as { message: string }).message, /refused the API key.*drafted from the page structure meanwhile/);
    } finally {
      await engine.dispose();
    }
  });

  test('the saved choice comes back at the next start; a server that is down keeps its settings to fix and the drafter writes meanwhile', async () => {
    const dataDir = join(root, 'c');
    const secrets = new MemorySecretStore({ inferenceApiKey: 'sk-switch-secret' });
    const first = new SwitchableEngine({ gpu: false, dataDir, secrets });
    await first.useRemote(remote());
    await first.dispose();

    const { config, pinned } = loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dataDir }, cwd: root, home: root });
    const again = new SwitchableEngine({ gpu: false, dataDir, secrets });
    try {
      await startEngine(again, { ...config, dataDir }, { log: silent, pinned: new Set([...pinned].filter((k) => k !== 'dataDir')) });
      assert.equal(again.kind, 'openai');
    } finally {
      await again.dispose();
    }

    const down = new SwitchableEngine({ gpu: false, dataDir, secrets });
    const errors: string[] = [];
    try {
      const unreachable = { ...config, dataDir };
      // The saved server is unreachable now: its port is closed.
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dataDir, 'engine.json'), JSON.stringify({ kind: 'openai', remote: { ...remote(), baseUrl: 'http://127.0.0.1:9/v1' } }));
      await startEngine(down, unreachable, { log: { error: (m) => void errors.push(m), info: () => undefined }, pinned: new Set() });
      assert.equal(down.kind, 'drafter');
      assert.equal(down.view().remote?.baseUrl, 'http://127.0.0.1:9/v1', 'the settings are kept to fix on the Models page');
      assert.equal(down.view().remote?.connected, false);
      assert.equal(down.status().state, 'error');
      assert.match(errors.join('\n'), /inference server cannot be used/);
    } finally {
      await down.dispose();
    }
  });

  test('an engine the environment pins is started from the environment and cannot be changed from the Models page', async () => {
    const dataDir = join(root, 'd');
    const env = { SPEC2TICKETS_DATA_DIR: dataDir, SPEC2TICKETS_ENGINE: 'openai', SPEC2TICKETS_INFERENCE_URL: `${server.url}/v1`, SPEC2TICKETS_INFERENCE_MODEL: server.modelName };
    const loaded = loadConfig({ env, cwd: root, home: root });
    assert.deepEqual(engineChoiceFromConfig(loaded.config), { kind: 'openai', remote: { baseUrl: `${server.url}/v1`, model: server.modelName, timeoutSeconds: 300, maxParallel: 4, serverKind: 'auto' } });
    const engine = new SwitchableEngine({ gpu: false, dataDir, secrets: new MemorySecretStore({ inferenceApiKey: 'sk-switch-secret' }), pinned: true });
    try {
      await startEngine(engine, loaded.config, { log: silent, pinned: loaded.pinned });
      assert.equal(engine.kind, 'openai');
      assert.throws(() => engine.useLocal(), EngineConfigError);
      await assert.rejects(engine.load(join(dataDir, 'models', 'x.gguf')), /fixes the engine to the inference server/);
      assert.ok(!existsSync(join(dataDir, 'engine.json')), 'a pinned engine saves no choice');
    } finally {
      await engine.dispose();
    }
    assert.throws(() => engineChoiceFromConfig({ ...loaded.config, inferenceUrl: undefined }), (e) => e instanceof EngineConfigError && /SPEC2TICKETS_INFERENCE_URL and SPEC2TICKETS_INFERENCE_MODEL/.test(e.message));
  });
});
