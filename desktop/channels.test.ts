import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { CHANNEL, parseFromBackend, parseToBackend } from './channels.ts';

describe('messages between the shell and the backend process', () => {
  test('every channel name is distinct and says which side sends it', () => {
    const names = Object.values(CHANNEL);
    assert.equal(new Set(names).size, names.length);
    for (const n of names) assert.match(n, /^(backend|shell):[a-z-]+$/);
  });

  test('well-formed backend messages pass through unchanged', () => {
    const msgs = [
      { type: CHANNEL.hello, pid: 12 },
      { type: CHANNEL.ready, adminUrl: 'http://127.0.0.1:8788/?token=abc', publicUrl: 'http://127.0.0.1:8787' },
      { type: CHANNEL.modelStatus, status: { state: 'absent' } },
      { type: CHANNEL.modelStatus, status: { state: 'downloading', model: 'q.gguf', percent: 12.5, bytesPerSecond: 1e6, etaSeconds: 30 } },
      { type: CHANNEL.modelStatus, status: { state: 'loading', model: 'q.gguf', percent: 100 } },
      { type: CHANNEL.modelStatus, status: { state: 'ready', model: 'q.gguf', gpu: 'cuda', note: 'context 4096' } },
      { type: CHANNEL.modelStatus, status: { state: 'generating', model: 'q.gguf', queueDepth: 2, tokensPerSecond: 31.2 } },
      { type: CHANNEL.modelStatus, status: { state: 'error', message: 'out of memory' } },
      { type: CHANNEL.fatal, message: 'Configuration is invalid' },
      { type: CHANNEL.secretWrite, id: 3, name: 'atlassianApiToken', value: 'tok' },
      { type: CHANNEL.secretWrite, id: 4, name: 'atlassianApiToken', value: null },
    ];
    for (const m of msgs) assert.deepEqual(parseFromBackend(m), m);
  });

  test('malformed backend messages are refused with a TypeError naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /without a type/],
      ['backend:hello', /without a type/],
      [{ type: 'backend:unknown' }, /"backend:unknown"/],
      [{ type: CHANNEL.hello, pid: -1 }, /pid/],
      [{ type: CHANNEL.ready, adminUrl: 'javascript:alert(1)', publicUrl: 'http://127.0.0.1:1' }, /adminUrl/],
      [{ type: CHANNEL.ready, adminUrl: 'http://127.0.0.1:1', publicUrl: 'http://127.0.0.1:1', extra: 1 }, /extra|Unrecognized/i],
      [{ type: CHANNEL.modelStatus, status: { state: 'loading', model: 'q', percent: 140 } }, /status\.percent/],
      [{ type: CHANNEL.modelStatus, status: { state: 'sleeping' } }, /status/],
      [{ type: CHANNEL.fatal, message: '' }, /message/],
      [{ type: CHANNEL.secretWrite, id: 1, name: 'password', value: 'x' }, /name/],
    ];
    for (const [input, re] of cases) {
      assert.throws(() => parseFromBackend(input), (err: unknown) => err instanceof TypeError && re.test(err.message), JSON.stringify(input));
    }
  });

  test('shell messages are validated on the backend side', () => {
    const start = {
      type: CHANNEL.start,
      secrets: { atlassianApiToken: 'tok' },
      secretStore: { kind: 'keychain', writable: true },
      version: '0.1.0',
      rendererDir: '/opt/app/renderer/dist',
    };
    assert.deepEqual(parseToBackend(start), start);
    assert.deepEqual(parseToBackend({ type: CHANNEL.stop }), { type: CHANNEL.stop });
    assert.deepEqual(parseToBackend({ type: CHANNEL.secretWriteResult, id: 1, ok: false, message: 'locked' }), {
      type: CHANNEL.secretWriteResult,
      id: 1,
      ok: false,
      message: 'locked',
    });
    assert.throws(() => parseToBackend({ ...start, secrets: { githubToken: 'x' } }), TypeError);
    assert.throws(() => parseToBackend({ ...start, secretStore: { kind: 'file', writable: true } }), TypeError);
    assert.throws(() => parseToBackend({ type: CHANNEL.hello, pid: 1 }), TypeError, 'a backend message is not accepted as a shell message');
  });

  test('a refused start message never echoes the secret it carried', () => {
    const secret = 'very-secret-token-value';
    try {
      parseToBackend({ type: CHANNEL.start, secrets: { atlassianApiToken: secret }, secretStore: { kind: 'keychain', writable: 'yes' }, version: '1' });
      assert.fail('should have thrown');
    } catch (err) {
      assert.ok(err instanceof TypeError);
      assert.match(err.message, /secretStore\.writable/);
      assert.ok(!err.message.includes(secret));
    }
  });
});
