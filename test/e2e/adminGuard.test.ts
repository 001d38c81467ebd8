// Hardening of both listeners against other local pages and malformed input: the admin listener
// accepts changes only from its own origin and only as JSON when the session cookie is the
// credential; it sends CSP and friends, redirects only to a fixed path, looks model actions up as
// own properties; malformed percent-escapes are the caller's 400; control characters and bidi
// overrides never reach storage.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config/config.ts';
import { MemorySecretStore } from '../../core/secrets/secretStore.ts';
import { startBackend, type Backend } from '../../core/server/backend.ts';
import { productParts } from '../../core/server/productParts.ts';
import { DrafterEngine } from '../../core/model/index.ts';
import { ADMIN_CSP } from '../../core/server/adminGuard.ts';
import { startHarness, type Harness } from './support/inProcess.ts';
import { raw, type RawResponse } from './support/rawHttp.ts';

const codeOf = (r: RawResponse) => (JSON.parse(r.body) as { code: string }).code;

describe('admin listener: other local pages are kept out', () => {
  let dir: string;
  let b: Backend;
  let base: string;
  let cookie: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 's2t-guard-'));
    const dist = join(dir, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Spec2Tickets</title><div id="root"></div>');
    const loaded = loadConfig({ cwd: dir, env: { SPEC2TICKETS_DATA_DIR: join(dir, 'data'), SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_ADMIN_PORT: '0' } });
    b = await startBackend({ loaded, secrets: new MemorySecretStore(), engine: new DrafterEngine(), parts: productParts(), rendererDir: dist, sessionToken: 'tok' });
    base = b.adminBaseUrl;
    const first = await raw(`${base}/?token=tok`);
    cookie = String(first.headers['set-cookie']).split(';')[0]!;
    assert.match(cookie, /^s2t_session_\d+=tok$/);
  });
  after(async () => {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a form post from another local page, riding on the session cookie, is refused with 403', async () => {
    const port = new URL(base).port;
    // What <form method=post action="http://127.0.0.1:PORT/api/model/catalogue"> on http://127.0.0.1:9999 sends.
    const form = await raw(`${base}/api/model/catalogue`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'http://127.0.0.1:9999', 'sec-fetch-site': 'same-site' },
      body: 'a=1',
    });
    assert.equal(form.status, 403, form.body);
    assert.equal(codeOf(form), 'cross_origin_refused');
    // Even without Origin/Sec-Fetch-Site (an older browser), a non-JSON body with the cookie is refused.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const r = await raw(`${base}/api/keys`, { method: 'POST', headers: { cookie, 'content-type': type }, body: '{"name":"csrf"}' });
      assert.equal(r.status, 403, `${type}: ${r.body}`);
      assert.equal(codeOf(r), 'json_required');
    }
    // JSON from another origin (a fetch with CORS mode) is refused too, by Origin alone.
    const json = await raw(`${base}/api/keys`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', origin: `http://localhost:${Number(port) + 1}` }, body: '{"name":"csrf"}' });
    assert.equal(json.status, 403);
    assert.equal(codeOf(json), 'cross_origin_refused');
    const sameSite = await raw(`${base}/api/keys`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'sec-fetch-site': 'same-site' }, body: '{"name":"csrf"}' });
    assert.equal(sameSite.status, 403);
    assert.deepEqual((await b.apiKeys.list()).filter((k) => k.name === 'csrf'), [], 'no key was created');
  });

  test("the admin's own pages (same origin, JSON) and token-bearing scripts still change things", async () => {
    const own = await raw(`${base}/api/keys`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', origin: base, 'sec-fetch-site': 'same-origin' },
      body: '{"name":"renderer"}',
    });
    assert.equal(own.status, 201, own.body);
    // The CLI sends the token in Authorization, which no other page can add: no JSON body needed.
    const cli = await raw(`${base}/api/model/catalogue`, { method: 'POST', headers: { authorization: 'Bearer tok' } });
    assert.equal(cli.status, 200, cli.body);
  });

  test('admin responses carry CSP, nosniff and no-referrer; the cookie name carries the port', async () => {
    for (const path of ['/', '/api/session', '/api/nothing']) {
      const r = await raw(`${base}${path}`, { headers: { cookie } });
      assert.equal(r.headers['content-security-policy'], ADMIN_CSP, path);
      assert.match(ADMIN_CSP, /default-src 'self'/);
      assert.match(ADMIN_CSP, /frame-ancestors 'none'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', path);
    }
    // The plain name another service on 127.0.0.1 might set is not our session.
    const foreign = await raw(`${base}/api/session`, { headers: { cookie: 's2t_session=tok' } });
    assert.equal(foreign.status, 401);
  });

  test('the token redirect goes to a fixed path, never to the host named in the request path', async () => {
    const r = await raw(`${base}//evil.example/?token=tok`);
    assert.equal(r.status, 303);
    assert.equal(r.headers.location, '/');
  });

  test('model actions are looked up as own properties: __proto__ and constructor are unknown actions', async () => {
    for (const action of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const r = await raw(`${base}/api/model/${action}`, { method: 'POST', headers: { authorization: 'Bearer tok', 'content-type': 'application/json' }, body: '{}' });
      assert.equal(r.status, 404, `${action}: ${r.body}`);
      assert.equal(codeOf(r), 'unknown_model_action');
    }
  });

  test('a malformed percent-escape or session cookie is a 400 or 401, not an internal error', async () => {
    const path = await raw(`${base}/api/jobs/%`, { headers: { authorization: 'Bearer tok' } });
    assert.equal(path.status, 400, path.body);
    assert.equal(codeOf(path), 'malformed_path');
    const badCookie = await raw(`${base}/api/session`, { headers: { cookie: `${cookie.split('=')[0]}=%E0%A4%A` } });
    assert.equal(badCookie.status, 401);
  });
});

describe('public listener: malformed and hostile input', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test('GET /v1/jobs/% is a 400 naming the malformed escape', async () => {
    const r = await raw(`${h.backend.publicUrl}/v1/jobs/%`, { headers: { authorization: `Bearer ${h.apiKey}` } });
    assert.equal(r.status, 400, r.body);
    assert.equal(codeOf(r), 'malformed_path');
    assert.match(JSON.parse(r.body).message, /percent-escape/);
  });

  test('requestedBy with NUL, line breaks or bidi overrides is refused before anything is stored', async () => {
    for (const requestedBy of ['user\u0000admin', 'user\nINFO forged log line', 'user\u202Enimda', 'user\u2066x\u2069', 'user\u0085']) {
      const r = await h.pub('/v1/jobs', { json: { pageId: '1001', siteUrl: h.fake.url, requestedBy } });
      assert.equal(r.status, 400, JSON.stringify(requestedBy));
      const body = (await r.json()) as { code: string; fields: string[]; message: string };
      assert.equal(body.code, 'validation_failed');
      assert.deepEqual(body.fields, ['requestedBy']);
      assert.match(body.message, /control characters/);
    }
    assert.deepEqual(await h.backend.store.listJobs({ limit: 10 }), []);
  });
});
