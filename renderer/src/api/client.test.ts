// The API client's early request: a GET started by warm() is what the first call for the same path
// gets (one request, not two), later calls ask again, and a lost session is reported as for any call.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, type ApiFailure } from './client.ts';

function fakeFetch(status = 200) {
  const calls: string[] = [];
  let n = 0;
  const fetch = async (input: RequestInfo | URL) => {
    calls.push(String(input));
    n++;
    return new Response(JSON.stringify(status === 200 ? { n } : { code: 'session_required', message: 'Open the admin address' }), { status, headers: { 'content-type': 'application/json' } });
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

test('a warmed GET is answered once, to the first call for its path; later calls read again', async () => {
  const f = fakeFetch();
  const api = new ApiClient({ fetch: f.fetch });
  api.warm('/jobs/j-1');
  assert.deepEqual(f.calls, ['/api/jobs/j-1'], 'the request starts at once');
  const first = await api.job('j-1');
  assert.deepEqual(first, { ok: true, data: { n: 1 } });
  assert.equal(f.calls.length, 1, 'the first call takes the warmed answer');
  const second = await api.job('j-1');
  assert.deepEqual(second, { ok: true, data: { n: 2 } });
  assert.equal(f.calls.length, 2);
});

test('a warmed path is not handed to a call for another path or method', async () => {
  const f = fakeFetch();
  const api = new ApiClient({ fetch: f.fetch });
  api.warm('/jobs/j-1');
  api.warm('/jobs/j-1');
  assert.equal(f.calls.length, 1, 'warming twice starts one request');
  await api.job('j-2');
  await api.approve('j-1', undefined);
  assert.equal(f.calls.length, 3);
  await api.job('j-1');
  assert.equal(f.calls.length, 3, 'still waiting for its first caller');
});

test('a warmed request refused for the session reports the lost session', async () => {
  const f = fakeFetch(401);
  const lost: ApiFailure[] = [];
  const api = new ApiClient({ fetch: f.fetch, onSessionLost: (x) => lost.push(x) });
  api.warm('/jobs/j-1');
  const r = await api.job('j-1');
  assert.equal(r.ok, false);
  assert.equal(lost.length, 1);
  assert.equal(lost[0]!.code, 'session_required');
});
