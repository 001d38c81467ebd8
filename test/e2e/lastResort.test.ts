// Nothing uncaught ends the backend where it is safe to go on: a background task's rejected promise,
// a transfer that fails in a stream callback. A plain bug thrown out of nowhere still stops the
// process (exit 1) for a clean restart, with a log line saying so.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./support/lastResortChild.ts', import.meta.url));

async function startChild(): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const [first] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, port: Number(first.toString().trim()), stderr: () => err };
}

const get = (port: number, fail = '') => fetch(`http://127.0.0.1:${port}/?fail=${fail}`).then((r) => r.text());
const settle = () => new Promise((r) => setTimeout(r, 200));

describe('last-resort handlers', () => {
  test('a rejected background task and failed transfers are logged and the process keeps serving', async (t) => {
    const { child, port, stderr } = await startChild();
    t.after(() => child.kill());
    for (const fail of ['rejection', 'transfer', 'socket']) {
      assert.equal(await get(port, fail), 'ok');
      await settle();
      assert.equal(child.exitCode, null, `still running after ${fail}`);
      assert.equal(await get(port), 'ok', `still answering after ${fail}`);
    }
    const lines = stderr().trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; error: string });
    assert.deepEqual(
      lines.map((l) => l.error),
      ['duplicate search failed: Jira answered 502', 'Content-Length said 1000 bytes, the source sent 10', 'socket hang up'],
    );
    assert.ok(lines.every((l) => l.level === 'error' && /keeps running/.test(l.msg)));
  });

  test('an unexpected error thrown outside any request stops the process with code 1 and says why', async () => {
    const { child, port, stderr } = await startChild();
    await get(port, 'bug');
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 1);
    assert.match(stderr(), /unknown state; stopping so it can be restarted cleanly/);
    assert.match(stderr(), /reading 'items'/);
  });
});
