// The nginx configuration in docs/reverse-proxy.md, run for real: Debian's nginx binary (unpacked by
// build/setup.sh into .tmp/tools) checks it with `nginx -t`, then serves it on loopback in front of
// the real backend: the health route passes through with the API key, other paths get 404, and an
// oversized body gets a JSON 413 in the API's own shape instead of nginx's HTML page.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUBLIC_BODY_LIMIT } from '../../core/server/public.ts';
import { startHarness } from '../e2e/support/inProcess.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const NGINX = join(root, '.tmp/tools/nginx/usr/sbin/nginx');

/** The indented code block that starts with `server {` under the "## nginx" heading. */
function documentedServerBlock(): string {
  const doc = readFileSync(join(root, 'docs/reverse-proxy.md'), 'utf8');
  const section = doc.slice(doc.indexOf('\n## nginx'), doc.indexOf('\n## ', doc.indexOf('\n## nginx') + 1));
  const lines = section.split('\n');
  const start = lines.findIndex((l) => l === '    server {');
  assert.ok(start >= 0, 'docs/reverse-proxy.md has an nginx server block');
  const end = lines.findIndex((l, i) => i > start && l === '    }');
  return lines.slice(start, end + 1).map((l) => l.slice(4)).join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The documented block made runnable here: its own certificate, a loopback port, the backend's port. */
function nginxConf(dir: string, block: string, listenPort: number, backendPort: number): string {
  const local = block
    .replace('listen 443 ssl;', `listen 127.0.0.1:${listenPort} ssl;`)
    .replace('/etc/ssl/certs/spec2tickets.pem', join(dir, 'cert.pem'))
    .replace('/etc/ssl/private/spec2tickets.key', join(dir, 'key.pem'))
    .replace('proxy_pass http://127.0.0.1:8787;', `proxy_pass http://127.0.0.1:${backendPort};`);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${join(dir, k)};`).join('\n');
  return `daemon off;\nmaster_process off;\npid ${join(dir, 'nginx.pid')};\nerror_log stderr warn;\nevents {}\nhttp {\n  access_log off;\n${temp}\n${local}\n}\n`;
}

function httpsRequest(port: number, path: string, o: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; type: string; body: string; server: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: o.method ?? 'GET', rejectUnauthorized: false, servername: 'spec2tickets.example.com', headers: { host: 'spec2tickets.example.com', ...o.headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body, server: res.headers.server as string | undefined }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

test('the documented nginx configuration passes nginx -t and fronts the real public listener', async (t) => {
  assert.ok(existsSync(NGINX), `${NGINX} is missing: run build/setup.sh (it unpacks Debian's nginx package there)`);
  const block = documentedServerBlock();
  assert.match(block, new RegExp(`client_max_body_size ${PUBLIC_BODY_LIMIT / 1024}k;`), "the proxy's body limit is the backend's own");
  assert.match(block, /ssl_protocols TLSv1\.2 TLSv1\.3;/);
  assert.match(block, /server_tokens off;/);

  const dir = mkdtempSync(join(tmpdir(), 's2t-nginx-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const k of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, k));
  const cert = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=spec2tickets.example.com', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(cert.status, 0, cert.stderr);

  const h = await startHarness();
  t.after(() => h.close());
  const backendPort = Number(new URL(h.backend.publicUrl).port);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, block, port, backendPort));

  const check = spawnSync(NGINX, ['-t', '-p', dir, '-c', conf, '-e', 'stderr'], { encoding: 'utf8' });
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stderr, /syntax is ok/);
  assert.match(check.stderr, /test is successful/);

  const nginx = spawn(NGINX, ['-p', dir, '-c', conf, '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  nginx.stderr.on('data', (c: Buffer) => (log += c.toString()));
  t.after(() => void nginx.kill('SIGTERM'));
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await httpsRequest(port, '/');
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`nginx did not start: ${(err as Error).message}\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const health = await httpsRequest(port, '/v1/health', { headers: { authorization: `Bearer ${h.apiKey}` } });
  assert.equal(health.status, 200, health.body);
  assert.ok('version' in (JSON.parse(health.body) as object), 'the backend answered through the proxy');
  assert.equal(health.server, 'nginx', 'server_tokens off: no version in the Server header');

  const other = await httpsRequest(port, '/api/settings');
  assert.equal(other.status, 404, 'only /v1/ is proxied');

  const big = await httpsRequest(port, '/v1/jobs', { method: 'POST', body: 'x'.repeat(PUBLIC_BODY_LIMIT + 1024), headers: { authorization: `Bearer ${h.apiKey}`, 'content-type': 'application/json' } });
  assert.equal(big.status, 413);
  assert.match(big.type, /application\/json/);
  assert.equal((JSON.parse(big.body) as { code: string }).code, 'body_too_large', "nginx's 413 speaks the API's error shape");

  const direct = await h.pub('/v1/jobs', { method: 'POST', body: 'x'.repeat(PUBLIC_BODY_LIMIT + 1024), headers: { 'content-type': 'application/json' } });
  assert.equal(direct.status, 413);
  assert.equal(((await direct.json()) as { code: string }).code, 'body_too_large', 'the same code as the backend itself');
});
