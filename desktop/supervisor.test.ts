import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EnvSecretStore, MemorySecretStore } from '../core/secrets/secretStore.ts';
import { CHANNEL, type ToBackend } from './channels.ts';
import { BackendSupervisor, type BackendChild, type Clock, type RestartPolicy, type SupervisorState } from './supervisor.ts';

/** A clock whose time moves only when the test says so; due timers run in order. */
class ManualClock implements Clock {
  private t = 1_000_000;
  private nextId = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.nextId;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

/** Stands in for the utility process: the test plays the backend's side of the port. */
class FakeChild implements BackendChild {
  readonly received: ToBackend[] = [];
  killed = false;
  exitsOnKill = true;
  private messageListeners: Array<(m: unknown) => void> = [];
  private exitListeners: Array<(code: number) => void> = [];
  postMessage(m: ToBackend): void {
    this.received.push(structuredClone(m));
  }
  kill(): void {
    this.killed = true;
    if (this.exitsOnKill) this.exit(15);
  }
  onMessage(l: (m: unknown) => void): void {
    this.messageListeners.push(l);
  }
  onExit(l: (code: number) => void): void {
    this.exitListeners.push(l);
  }
  send(m: unknown): void {
    for (const l of this.messageListeners) l(m);
  }
  exit(code: number): void {
    for (const l of this.exitListeners) l(code);
  }
}

const flush = () => new Promise((r) => setImmediate(r));
const POLICY: Partial<RestartPolicy> = { helloTimeoutMs: 15_000, startTimeoutMs: 30_000, stopTimeoutMs: 10_000, backoffMs: 1_000, maxBackoffMs: 30_000, maxRestarts: 3, windowMs: 300_000 };
const ADMIN = 'http://127.0.0.1:8788/?token=abc';
const PUBLIC = 'http://127.0.0.1:8787';

function setup(o: { secrets?: MemorySecretStore | EnvSecretStore; policy?: Partial<RestartPolicy> } = {}) {
  const clock = new ManualClock();
  const children: FakeChild[] = [];
  const logs: string[] = [];
  const states: SupervisorState[] = [];
  const secrets = o.secrets ?? new MemorySecretStore({ atlassianApiToken: 'tok-123' });
  const sup = new BackendSupervisor({
    spawn: () => {
      const c = new FakeChild();
      children.push(c);
      return c;
    },
    secrets,
    startOptions: { version: '1.2.3', rendererDir: '/app/renderer/dist' },
    clock,
    policy: { ...POLICY, ...o.policy },
    log: (l) => logs.push(l),
  });
  sup.onChange((s) => states.push(s));
  const last = () => {
    const c = children.at(-1);
    assert.ok(c, 'a backend process was spawned');
    return c;
  };
  /** Plays a backend that starts normally. */
  const bringUp = async (c = last()) => {
    c.send({ type: CHANNEL.hello, pid: 4242 });
    await flush();
    c.send({ type: CHANNEL.ready, adminUrl: ADMIN, publicUrl: PUBLIC });
  };
  return { clock, children, logs, states, secrets, sup, last, bringUp };
}

describe('backend supervisor', () => {
  test('a started backend receives its secrets over the port and is shown running with its URLs', async () => {
    const { sup, last, bringUp } = setup();
    sup.start();
    assert.equal(sup.state().phase, 'starting');
    const child = last();
    assert.deepEqual(child.received, [], 'nothing is sent before the backend says hello');
    await bringUp(child);
    assert.deepEqual(child.received, [
      { type: CHANNEL.start, secrets: { atlassianApiToken: 'tok-123' }, secretStore: { kind: 'memory', writable: true }, version: '1.2.3', rendererDir: '/app/renderer/dist' },
    ]);
    assert.deepEqual(sup.state(), { phase: 'running', adminUrl: ADMIN, publicUrl: PUBLIC, model: undefined });
  });

  test('model status messages reach the state the tray shows', async () => {
    const { sup, last, bringUp, states } = setup();
    sup.start();
    await bringUp();
    last().send({ type: CHANNEL.modelStatus, status: { state: 'downloading', model: 'qwen2.5-7b.gguf', percent: 42 } });
    assert.deepEqual(sup.state().model, { state: 'downloading', model: 'qwen2.5-7b.gguf', percent: 42 });
    last().send({ type: CHANNEL.modelStatus, status: { state: 'ready', model: 'qwen2.5-7b.gguf', gpu: false } });
    assert.equal(sup.state().model?.state, 'ready');
    assert.equal(states.at(-1)?.model?.state, 'ready', 'listeners are told of each change');
  });

  test('a backend that never answers ready is killed with "backend start timed out after 30 s" and restarted after 1 s', async () => {
    const { sup, last, clock, children } = setup();
    sup.start();
    last().send({ type: CHANNEL.hello, pid: 1 });
    await flush();
    clock.advance(29_999);
    assert.equal(sup.state().phase, 'starting');
    clock.advance(1);
    const s = sup.state();
    assert.equal(s.phase, 'restarting');
    assert.equal(s.phase === 'restarting' && s.error, 'backend start timed out after 30 s');
    assert.equal(children[0]?.killed, true);
    assert.deepEqual(s.model, { state: 'error', message: 'backend start timed out after 30 s' });
    clock.advance(999);
    assert.equal(children.length, 1);
    clock.advance(1);
    assert.equal(children.length, 2, 'a new backend process is started after the backoff');
    assert.equal(sup.state().phase, 'starting');
  });

  test('a model still loading keeps a starting backend alive up to the model load limit', async () => {
    const { sup, last, clock } = setup({ policy: { modelLoadTimeoutMs: 600_000 } });
    sup.start();
    last().send({ type: CHANNEL.hello, pid: 1 });
    await flush();
    clock.advance(20_000);
    last().send({ type: CHANNEL.modelStatus, status: { state: 'loading', model: 'qwen2.5-14b.gguf', percent: 0 } });
    clock.advance(120_000);
    assert.equal(sup.state().phase, 'starting', 'past the 30 s start limit while the model loads');
    assert.equal(sup.state().model?.state, 'loading');
    last().send({ type: CHANNEL.ready, adminUrl: ADMIN, publicUrl: PUBLIC });
    assert.equal(sup.state().phase, 'running');

    const restarted = sup.restart();
    assert.deepEqual(last().received.at(-1), { type: CHANNEL.stop }, 'a restart first stops the running backend');
    last().exit(0);
    await restarted;
    last().send({ type: CHANNEL.hello, pid: 2 });
    await flush();
    last().send({ type: CHANNEL.modelStatus, status: { state: 'loading', model: 'qwen2.5-14b.gguf', percent: 0 } });
    clock.advance(600_000);
    const s = sup.state();
    assert.equal(s.phase === 'restarting' && s.error, 'backend start timed out: the model was still loading after 10 min');
  });

  test('a process that never says hello fails with its own timeout message', () => {
    const { sup, clock } = setup();
    sup.start();
    clock.advance(15_000);
    const s = sup.state();
    assert.equal(s.phase === 'restarting' && s.error, 'backend process did not answer within 15 s of starting');
  });

  test('a backend that keeps dying is restarted with doubling delays and then left stopped until the user restarts it', async () => {
    const { sup, clock, children, last, bringUp } = setup();
    sup.start();
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      await bringUp();
      last().exit(1);
      const s = sup.state();
      assert.equal(s.phase, 'restarting');
      if (s.phase !== 'restarting') return;
      assert.equal(s.error, 'backend exited unexpectedly (exit code 1)');
      delays.push(s.retryAt - clock.now());
      clock.advance(s.retryAt - clock.now());
    }
    assert.deepEqual(delays, [1_000, 2_000, 4_000]);
    await bringUp();
    last().exit(134);
    const failed = sup.state();
    assert.equal(failed.phase, 'failed');
    assert.match(failed.phase === 'failed' ? failed.error : '', /^backend exited unexpectedly \(exit code 134\)\. The backend failed 4 times within 5 min, so it is not restarted again; choose "Restart backend"/);
    const spawned = children.length;
    clock.advance(3_600_000);
    assert.equal(children.length, spawned, 'no restart after giving up');
    await sup.restart();
    assert.equal(children.length, spawned + 1, '"Restart backend" starts it again');
    await bringUp();
    assert.equal(sup.state().phase, 'running');
    last().exit(1);
    const again = sup.state();
    assert.equal(again.phase === 'restarting' && again.retryAt - clock.now(), 1_000, 'a manual restart forgets earlier failures');
  });

  test('failures spread wider than the window never exhaust the restarts', async () => {
    const { sup, clock, last, bringUp } = setup({ policy: { maxRestarts: 2, windowMs: 60_000 } });
    sup.start();
    for (let i = 0; i < 6; i++) {
      await bringUp();
      clock.advance(61_000);
      last().exit(1);
      const s = sup.state();
      assert.equal(s.phase === 'restarting' && s.retryAt - clock.now(), 1_000, `failure ${i + 1} waits the first backoff`);
      clock.advance(1_000);
    }
  });

  test('a fatal message from the backend is the error shown, not the exit code', async () => {
    const { sup, last } = setup();
    sup.start();
    last().send({ type: CHANNEL.hello, pid: 1 });
    await flush();
    last().send({ type: CHANNEL.fatal, message: 'Port 8788 on 127.0.0.1 is already in use; choose another' });
    const s = sup.state();
    assert.equal(s.phase === 'restarting' && s.error, 'Port 8788 on 127.0.0.1 is already in use; choose another');
  });

  test('a process that ignores the kill is abandoned after the stop timeout so restarts go on', async () => {
    const { sup, clock, children } = setup();
    sup.start();
    const first = children[0]!;
    first.exitsOnKill = false;
    clock.advance(15_000);
    assert.equal(first.killed, true);
    assert.equal(sup.state().phase, 'starting', 'waits for the killed process to exit');
    clock.advance(10_000);
    assert.equal(sup.state().phase, 'restarting');
    first.exit(9);
    assert.equal(sup.state().phase, 'restarting', 'the late exit of an abandoned process changes nothing');
    clock.advance(1_000);
    assert.equal(children.length, 2);
  });

  test('malformed messages from the backend are logged and ignored', async () => {
    const { sup, last, logs, bringUp } = setup();
    sup.start();
    last().send({ type: CHANNEL.ready, adminUrl: 'file:///etc/passwd', publicUrl: PUBLIC });
    last().send('hello');
    assert.equal(sup.state().phase, 'starting');
    assert.equal(logs.filter((l) => l.startsWith('Invalid backend → shell message')).length, 2);
    await bringUp();
    assert.equal(sup.state().phase, 'running');
  });

  test('a secret the admin saves is written to the shell store and confirmed', async () => {
    const { sup, last, bringUp, secrets } = setup();
    sup.start();
    await bringUp();
    last().send({ type: CHANNEL.secretWrite, id: 7, name: 'atlassianApiToken', value: 'new-token' });
    await flush();
    assert.equal(await secrets.get('atlassianApiToken'), 'new-token');
    assert.deepEqual(last().received.at(-1), { type: CHANNEL.secretWriteResult, id: 7, ok: true });
    last().send({ type: CHANNEL.secretWrite, id: 8, name: 'atlassianApiToken', value: null });
    await flush();
    assert.equal(await secrets.get('atlassianApiToken'), undefined);
    assert.deepEqual(last().received.at(-1), { type: CHANNEL.secretWriteResult, id: 8, ok: true });
  });

  test('without a keychain a secret write is refused with the environment variable to set', async () => {
    const { sup, last, bringUp } = setup({ secrets: new EnvSecretStore({ SPEC2TICKETS_ATLASSIAN_API_TOKEN: 'from-env' }) });
    sup.start();
    await bringUp();
    const start = last().received[0];
    assert.ok(start?.type === CHANNEL.start);
    assert.deepEqual(start.secretStore, { kind: 'env', writable: false });
    assert.deepEqual(start.secrets, { atlassianApiToken: 'from-env' });
    last().send({ type: CHANNEL.secretWrite, id: 1, name: 'atlassianApiToken', value: 'x' });
    await flush();
    const reply = last().received.at(-1);
    assert.ok(reply?.type === CHANNEL.secretWriteResult);
    assert.equal(reply.ok, false);
    assert.match(reply.message ?? '', /SPEC2TICKETS_ATLASSIAN_API_TOKEN/);
  });

  test('stopping asks the backend to stop and does not restart it', async () => {
    const { sup, last, bringUp, clock, children } = setup();
    sup.start();
    await bringUp();
    const stopped = sup.stop();
    assert.equal(sup.state().phase, 'stopping');
    assert.deepEqual(last().received.at(-1), { type: CHANNEL.stop });
    last().exit(0);
    await stopped;
    assert.equal(sup.state().phase, 'stopped');
    clock.advance(600_000);
    assert.equal(children.length, 1);
  });

  test('a backend that ignores the stop request is killed after the stop timeout', async () => {
    const { sup, bringUp, clock, last } = setup();
    sup.start();
    await bringUp();
    const stopped = sup.stop();
    clock.advance(9_999);
    assert.equal(last().killed, false);
    clock.advance(1);
    assert.equal(last().killed, true);
    await stopped;
    assert.equal(sup.state().phase, 'stopped');
  });
});
