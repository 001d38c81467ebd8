// How the Forge app words what goes wrong between it and the backend, against a real HTTP server on
// loopback that answers the way a broken reverse proxy or an unhappy backend does.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBackendClient } from '../../forge/src/backend/backendClient.ts';

const KEY = 's2t_' + 'k'.repeat(43);

describe('backend client problems', () => {
  let server: Server;
  let base: string;
  const seen: { auth: string | undefined; url: string | undefined }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ auth: req.headers.authorization, url: req.url });
      const route = req.url ?? '';
      if (route.startsWith('/proxy-down')) {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>502 Bad Gateway</body></html>');
      } else if (route.startsWith('/crash')) {
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'internal_error', message: 'The job store is not writable' }));
      } else if (route.startsWith('/busy')) {
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' }).end(JSON.stringify({ code: 'rate_limited', message: 'slow down' }));
      } else if (route.startsWith('/echo')) {
        // A backend that (wrongly) echoes the key must still not make it leak.
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'validation_failed', message: `bad header ${String(req.headers.authorization)}` }));
      } else if (route.startsWith('/website')) {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>Welcome</html>');
      } else {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'job_not_found', message: 'There is no job j-1' }));
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const client = (prefix: string) => createBackendClient({ baseUrl: base + prefix, apiKey: KEY, fetch: (u, i) => fetch(u, i), timeoutMs: 5000 });

  test('the key is sent as a Bearer token to the /v1 path under the base URL', async () => {
    await client('/anything').getJob('j-1');
    assert.deepEqual(seen.at(-1), { auth: `Bearer ${KEY}`, url: '/anything/v1/jobs/j-1' });
  });

  test('a proxy error page (502, not JSON) says the backend behind the proxy is probably down', async () => {
    const r = await client('/proxy-down').health();
    assert.ok(!r.ok);
    assert.equal(r.problem.code, 'server_error');
    assert.match(r.problem.message, /answered HTTP 502 without a Spec2Tickets error; the reverse proxy is up but the backend behind it is probably not running/);
  });

  test("a backend 500 passes on the backend's own message", async () => {
    const r = await client('/crash').health();
    assert.ok(!r.ok);
    assert.equal(r.problem.code, 'server_error');
    assert.equal(r.problem.message, 'The Spec2Tickets backend reported a problem (HTTP 500): The job store is not writable.');
  });

  test('rate limiting says when to try again', async () => {
    const r = await client('/busy').createJob({ pageId: '1', siteUrl: 'https://acme.atlassian.net', requestedBy: 'a' });
    assert.ok(!r.ok);
    assert.equal(r.problem.code, 'rate_limited');
    assert.match(r.problem.message, /Try again in 7 s\./);
  });

  test('a web site at the URL instead of the API is called out as the wrong address', async () => {
    const r = await client('/website').health();
    assert.ok(!r.ok);
    assert.equal(r.problem.code, 'not_spec2tickets');
    assert.match(r.problem.message, /not with the Spec2Tickets API \(is the backend URL right\?/);
  });

  test('an unknown job is reported as such', async () => {
    const r = await client('').getJob('j-1');
    assert.ok(!r.ok);
    assert.equal(r.problem.code, 'job_not_found');
    assert.match(r.problem.message, /no longer knows this job: There is no job j-1\. Request a new breakdown\./);
  });

  test('a message that would contain the API key is redacted', async () => {
    const r = await client('/echo').health();
    assert.ok(!r.ok);
    assert.equal(r.problem.code, 'rejected');
    assert.ok(!r.problem.message.includes(KEY), r.problem.message);
    assert.match(r.problem.message, /Bearer \[redacted\]/);
  });
});
