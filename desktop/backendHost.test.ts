// The backend host runs the real backend (SQLite in a temp folder, both listeners on loopback,
// the drafter engine) behind a real structured-clone message channel standing in for Electron's
// parent port; the test plays the shell's side of it.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { silentLogger } from '../core/jobs/runner.ts';
import { CHANNEL, parseFromBackend, type FromBackend, type ToBackend } from './channels.ts';
import { runBackendHost } from './backendHost.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function harness(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 's2t-desktop-host-'));
  dirs.push(dir);
  const { port1: shell, port2: backend } = new MessageChannel();
  const inbox: FromBackend[] = [];
  const waiters: Array<{ type: FromBackend['type']; resolve: (m: FromBackend) => void }> = [];
  shell.on('message', (raw: unknown) => {
    // The shell validates what it receives exactly as the real supervisor does.
    const m = parseFromBackend(raw);
    inbox.push(m);
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
  });
  const next = <T extends FromBackend['type']>(type: T, timeoutMs = 15_000): Promise<Extract<FromBackend, { type: T }>> => {
    const seen = inbox.findIndex((m) => m.type === type);
    if (seen >= 0) return Promise.resolve(inbox.splice(seen, 1)[0] as Extract<FromBackend, { type: T }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({
        type,
        resolve: (m) => {
          clearTimeout(timer);
          inbox.splice(inbox.indexOf(m), 1);
          resolve(m as Extract<FromBackend, { type: T }>);
        },
      });
    });
  };
  const send = (m: ToBackend) => shell.postMessage(m);
  const exits: number[] = [];
  const done = runBackendHost({
    port: {
      postMessage: (m) => backend.postMessage(m),
      onMessage: (l) => void (backend as MessagePort).on('message', l),
    },
    log: silentLogger,
    pid: 4242,
    exit: (code) => exits.push(code),
    config: {
      env: { SPEC2TICKETS_DATA_DIR: join(dir, 'data'), SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_ADMIN_PORT: '0', ...env },
      cwd: dir,
      home: dir,
    },
    secretWriteTimeoutMs: 5_000,
  });
  const close = () => {
    shell.close();
    backend.close();
  };
  return { next, send, done, exits, close, inbox };
}

const startMessage = (token?: string): ToBackend => ({
  type: CHANNEL.start,
  secrets: token ? { atlassianApiToken: token } : {},
  secretStore: { kind: 'keychain', writable: true },
  version: '9.8.7',
});

describe('backend host in the utility process', () => {
  test('the backend starts from the start message, serves both listeners and stops on request', async () => {
    const h = harness();
    try {
      assert.deepEqual(await h.next(CHANNEL.hello), { type: CHANNEL.hello, pid: 4242 });
      h.send(startMessage('tok-from-keychain'));
      const ready = await h.next(CHANNEL.ready);
      const status = await h.next(CHANNEL.modelStatus);
      assert.ok(['absent', 'ready'].includes(status.status.state), `drafter status: ${status.status.state}`);

      const health = await fetch(`${ready.publicUrl}/v1/health`);
      assert.equal(health.status, 401, 'the public listener is up and wants an API key');
      const admin = new URL(ready.adminUrl);
      const token = admin.searchParams.get('token');
      assert.ok(token, 'the admin URL carries the session token');
      const settings = await fetch(`${admin.origin}/api/settings`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(settings.status, 200);
      const view = (await settings.json()) as { secrets: { atlassianApiToken: { set: boolean; writable: boolean; store: string } } };
      assert.deepEqual(view.secrets.atlassianApiToken, { set: true, writable: true, store: 'keychain' });
      const model = (await (await fetch(`${admin.origin}/api/model`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: unknown };
      assert.deepEqual(model.status, status.status, 'the shell was told the same model status the admin API reports');

      h.send({ type: CHANNEL.stop });
      assert.equal(await h.done, 0);
      assert.deepEqual(h.exits, [0]);
      await assert.rejects(fetch(`${ready.publicUrl}/v1/health`), 'the listeners are closed');
    } finally {
      h.close();
    }
  });

  test('a token saved in Settings goes to the shell for the keychain and counts only once the shell confirms', async () => {
    const h = harness();
    try {
      await h.next(CHANNEL.hello);
      h.send(startMessage());
      const ready = await h.next(CHANNEL.ready);
      const admin = new URL(ready.adminUrl);
      const auth = { authorization: `Bearer ${admin.searchParams.get('token')}`, 'content-type': 'application/json' };

      const saving = fetch(`${admin.origin}/api/settings`, { method: 'PUT', headers: auth, body: JSON.stringify({ secrets: { atlassianApiToken: 'new-secret' } }) });
      const write = await h.next(CHANNEL.secretWrite);
      assert.equal(write.name, 'atlassianApiToken');
      assert.equal(write.value, 'new-secret');
      h.send({ type: CHANNEL.secretWriteResult, id: write.id, ok: true });
      const saved = await saving;
      assert.equal(saved.status, 200);
      const view = (await saved.json()) as { secrets: { atlassianApiToken: { set: boolean } } };
      assert.equal(view.secrets.atlassianApiToken.set, true);

      const refused = fetch(`${admin.origin}/api/settings`, { method: 'PUT', headers: auth, body: JSON.stringify({ secrets: { atlassianApiToken: 'second' } }) });
      const write2 = await h.next(CHANNEL.secretWrite);
      h.send({ type: CHANNEL.secretWriteResult, id: write2.id, ok: false, message: 'The keychain is locked; unlock it and save again' });
      const res = await refused;
      assert.equal(res.status, 503);
      assert.deepEqual(await res.json(), { code: 'keychain_write_failed', message: 'The keychain is locked; unlock it and save again', fields: ['secrets.atlassianApiToken'] });

      h.send({ type: CHANNEL.stop });
      assert.equal(await h.done, 0);
    } finally {
      h.close();
    }
  });

  test('an invalid configuration is reported as a fatal message naming the setting, and the process exits 1', async () => {
    const h = harness({ SPEC2TICKETS_PUBLIC_PORT: 'eighty' });
    try {
      await h.next(CHANNEL.hello);
      h.send(startMessage());
      const fatal = await h.next(CHANNEL.fatal);
      assert.match(fatal.message, /SPEC2TICKETS_PUBLIC_PORT must be a port number/);
      assert.equal(await h.done, 1);
      assert.deepEqual(h.exits, [1]);
    } finally {
      h.close();
    }
  });

  test('a malformed shell message is ignored and the backend still starts', async () => {
    const h = harness();
    try {
      await h.next(CHANNEL.hello);
      (h.send as (m: unknown) => void)({ type: CHANNEL.start, secrets: 'all of them' });
      h.send(startMessage());
      const ready = await h.next(CHANNEL.ready);
      assert.match(ready.publicUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      h.send({ type: CHANNEL.stop });
      assert.equal(await h.done, 0);
    } finally {
      h.close();
    }
  });
});
