import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayView } from './trayView.ts';
import type { SupervisorState } from './supervisor.ts';
import { CHANNEL, parseFromBackend } from './channels.ts';

const running = (model: SupervisorState['model']): SupervisorState => ({ phase: 'running', adminUrl: 'http://127.0.0.1:1/', publicUrl: 'http://127.0.0.1:2', model });

test('the tray shows each model state with its progress', () => {
  assert.deepEqual(trayView(running({ state: 'absent' }), 0), { status: 'Spec2Tickets — no model (drafter writes breakdowns)', colour: 'grey' });
  assert.deepEqual(trayView(running({ state: 'downloading', model: 'q.gguf', percent: 42.9 }), 0), { status: 'Spec2Tickets — model downloading 42%', colour: 'blue' });
  assert.deepEqual(trayView(running({ state: 'loading', model: 'q.gguf', percent: 7 }), 0), { status: 'Spec2Tickets — model loading 7%', colour: 'blue' });
  assert.deepEqual(trayView(running({ state: 'ready', model: 'q.gguf', gpu: false }), 0), { status: 'Spec2Tickets — model ready on CPU', colour: 'green' });
  assert.deepEqual(trayView(running({ state: 'ready', model: 'q.gguf', gpu: 'cuda' }), 0), { status: 'Spec2Tickets — model ready on GPU (cuda)', colour: 'green' });
  assert.deepEqual(trayView(running({ state: 'generating', model: 'q.gguf', queueDepth: 3, tokensPerSecond: 27.6 }), 0), {
    status: 'Spec2Tickets — model generating (3 queued, 28 tok/s)',
    colour: 'amber',
  });
  assert.deepEqual(trayView(running({ state: 'error', message: 'the model file is damaged' }), 0), { status: 'Spec2Tickets — model error: the model file is damaged', colour: 'red' });
});

test('the tray shows a backend error with the seconds until the next try', () => {
  const v = trayView({ phase: 'restarting', error: 'backend start timed out after 30 s', retryAt: 10_500, failures: 1, model: undefined }, 6_000);
  assert.deepEqual(v, { status: 'Spec2Tickets — backend error: backend start timed out after 30 s; restarting in 5 s', colour: 'red' });
  const failed = trayView({ phase: 'failed', error: 'x'.repeat(1000), model: undefined }, 0);
  assert.equal(failed.colour, 'red');
  assert.ok(failed.status.length < 300, 'long errors are shortened for the tooltip');
  assert.deepEqual(trayView({ phase: 'starting', attempt: 1, model: undefined }, 0), { status: 'Spec2Tickets — backend starting…', colour: 'grey' });
});

test('a model on a remote inference server shows as "Remote: <host>" with the server’s state', () => {
  const remote = { host: 'gpu-box.lan:8000', server: 'vLLM' };
  assert.deepEqual(trayView(running({ state: 'ready', model: 'Qwen2.5-32B-Instruct', gpu: 'vLLM at gpu-box.lan:8000', remote }), 0), {
    status: 'Spec2Tickets — Remote: gpu-box.lan:8000 — vLLM ready (Qwen2.5-32B-Instruct)',
    colour: 'green',
  });
  assert.deepEqual(trayView(running({ state: 'generating', model: 'Qwen2.5-32B-Instruct', queueDepth: 2, tokensPerSecond: 61.4, remote }), 0), {
    status: 'Spec2Tickets — Remote: gpu-box.lan:8000 — generating (2 queued, 61 tok/s)',
    colour: 'amber',
  });
  assert.deepEqual(trayView(running({ state: 'error', message: 'The inference server cannot be used: the connection was refused.', remote: { host: 'gpu-box.lan:8000', server: 'inference server' } }), 0), {
    status: 'Spec2Tickets — Remote: gpu-box.lan:8000 — error: The inference server cannot be used: the connection was refused.',
    colour: 'red',
  });
  // The same states without a server stay this machine's.
  assert.equal(trayView(running({ state: 'ready', model: 'q.gguf', gpu: 'cuda' }), 0).status, 'Spec2Tickets — model ready on GPU (cuda)');
});

test('the server’s label reaches the tray through the backend channel, and nothing else about the server does', () => {
  const remote = { host: 'gpu-box.lan:8000', server: 'vLLM' };
  const msg = parseFromBackend({ type: CHANNEL.modelStatus, status: { state: 'ready', model: 'm', gpu: 'vLLM at gpu-box.lan:8000', remote } });
  assert.equal(msg.type, CHANNEL.modelStatus);
  const status = (msg as Extract<typeof msg, { type: typeof CHANNEL.modelStatus }>).status;
  assert.deepEqual(status, { state: 'ready', model: 'm', gpu: 'vLLM at gpu-box.lan:8000', remote });
  assert.match(trayView(running(status), 0).status, /^Spec2Tickets — Remote: gpu-box\.lan:8000 — /);
  // A label with more than the host and the kind (an API key, say) is refused at the channel.
  assert.throws(() => parseFromBackend({ type: CHANNEL.modelStatus, status: { state: 'ready', model: 'm', gpu: false, remote: { ...remote, apiKey: 'sk-secret' } } }));
});
