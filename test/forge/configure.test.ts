// `npm run forge:configure -- --backend https://…` (build/forge-configure.mjs) on a copy of the
// app: it writes the customer's host into the manifest's egress list, keeps the file's comments,
// leaves a manifest that Forge's schema accepts, prints the deploy steps, and refuses addresses
// Forge could never reach.

import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];

function appCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 's2t-configure-'));
  dirs.push(dir);
  for (const name of ['manifest.yml', 'package.json', 'src', 'locales']) cpSync(join(root, 'forge', name), join(dir, name), { recursive: true });
  return dir;
}

function configure(app: string, backend: string | null) {
  const r = spawnSync(process.execPath, ['build/forge-configure.mjs', '--app', app, ...(backend === null ? [] : ['--backend', backend])], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const backendHosts = (app: string) =>
  (parse(readFileSync(join(app, 'manifest.yml'), 'utf8')) as { permissions: { external: { fetch: { backend: ({ address: string } | string)[] } } } }).permissions.external.fetch.backend.map((b) =>
    typeof b === 'string' ? b : b.address,
  );

describe('forge:configure', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('writes the backend host into the egress list, keeps the comments, and prints the deploy steps', () => {
    const app = appCopy();
    const before = readFileSync(join(app, 'manifest.yml'), 'utf8');
    const r = configure(app, 'https://s2t.customer.example:8443/');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(backendHosts(app), ['https://s2t.customer.example']);
    const after = readFileSync(join(app, 'manifest.yml'), 'utf8');
    assert.ok(after.includes("# The customer's Spec2Tickets backend, as reached from the internet"), 'comments survive');
    assert.equal(after.split('\n').length, before.split('\n').length, 'only the address line changed');
    for (const step of ['forge register', 'forge deploy', 'forge install', 'Node 22']) assert.ok(r.stdout.includes(step), `mentions ${step}`);
    assert.match(r.stdout, /Backend URL https:\/\/s2t\.customer\.example:8443/);

    // Running it again for another host replaces the backend's entry instead of adding one.
    assert.equal(configure(app, 'https://s2t.other.example').status, 0);
    assert.deepEqual(backendHosts(app), ['https://s2t.other.example']);
  });

  test('refuses plain http, loopback and private addresses, and a missing --backend, leaving the manifest alone', () => {
    const app = appCopy();
    const before = readFileSync(join(app, 'manifest.yml'), 'utf8');
    for (const [url, why] of [
      ['http://s2t.customer.example', /https:\/\//],
      ['http://127.0.0.1:8080', /https:\/\//],
      ['https://127.0.0.1:8443', /cannot reach 127\.0\.0\.1 \(a loopback address\)/],
      ['https://localhost', /cannot reach localhost/],
      ['https://10.0.0.8', /private network/],
      ['not a url', /not a web address/],
    ] as const) {
      const r = configure(app, url);
      assert.equal(r.status, 1, url);
      assert.match(r.stderr, why, url);
    }
    const missing = configure(app, null);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /npm run forge:configure -- --backend https:\/\//);
    assert.equal(readFileSync(join(app, 'manifest.yml'), 'utf8'), before);
  });
});
