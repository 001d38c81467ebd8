import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runKeys } from '../../core/cli/keys.ts';
import { runServe } from '../../core/cli/serve.ts';
import { readRunningBackend, recordRunningBackend } from '../../core/server/runningBackend.ts';
import { startFakeAtlassian } from '../fakes/atlassian/server.ts';

const entry = fileURLToPath(new URL('../../core/cli/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../', import.meta.url));

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });
}

test('keys create, list, rotate and revoke work on the data folder; a key is printed once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-keys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { SPEC2TICKETS_DATA_DIR: dir, HOME: dir, USER: 'ops' };
  let out = '';
  const io = { out: (s: string) => void (out += s), env };
  const run = async (cmd: 'create' | 'list' | 'rotate' | 'revoke', arg?: string, json = false) => {
    out = '';
    await runKeys(cmd, arg, { json }, io);
    return out;
  };
  const key = /^(s2t_\S+)$/m.exec(await run('create', 'forge-prod'))?.[1];
  assert.ok(key, out);
  const listText = await run('list', undefined, true);
  const keys = JSON.parse(listText) as { id: string; name: string; prefix: string; revokedAt: string | null }[];
  assert.equal(keys.length, 1);
  assert.equal(keys[0]!.name, 'forge-prod');
  assert.ok(key.startsWith(keys[0]!.prefix));
  assert.ok(!listText.includes(key), 'list never shows the key');
  const next = JSON.parse(await run('rotate', keys[0]!.id, true)) as { id: string; key: string; graceHours: number };
  assert.notEqual(next.key, key);
  assert.equal(next.graceHours, 24, 'the old key keeps working for a day by default');
  assert.match(await run('list'), /forge-prod {2}created .* ROTATED, valid until /, 'list shows the grace period');
  out = '';
  await assert.rejects(runKeys('rotate', next.id, { graceHours: '-1' }, io), /--grace-hours must be a number of hours from 0 to 720 \(got "-1"\)/);
  await run('revoke', next.id);
  const after = JSON.parse(await run('list', undefined, true)) as { revokedAt: string | null }[];
  assert.equal(after.length, 2);
  assert.ok(after.every((k) => k.revokedAt));
  await assert.rejects(run('revoke', 'nope'), /no active API key with id "nope"/);
});

test('keys work from a separate process on the same data folder (exit 2 on a user error)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-keys-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { SPEC2TICKETS_DATA_DIR: dir, HOME: dir };
  const created = cli(['keys', 'create', 'forge', '--json'], env);
  assert.equal(created.status, 0, created.stderr);
  assert.match((JSON.parse(created.stdout) as { key: string }).key, /^s2t_/);
  assert.ok(created.stderr.includes(`Data folder: ${dir}`), created.stderr);
  assert.match(created.stderr, /no backend is running on this data folder/, 'with no backend on the folder, the CLI warns');
  const unknown = cli(['keys', 'revoke', 'nope'], env);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no active API key with id "nope"/);
});

test('serve refuses a bad port with the variable name and the value, and exits 2', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const r = cli(['serve'], { SPEC2TICKETS_DATA_DIR: dir, HOME: dir, SPEC2TICKETS_PUBLIC_PORT: 'abc', SPEC2TICKETS_NO_KEYCHAIN: '1' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /SPEC2TICKETS_PUBLIC_PORT must be a port number, got "abc"/);
});

test('serve takes the API token from .env when neither the environment nor a keychain has one, and never prints it', async (t) => {
  const fake = await startFakeAtlassian({ apiToken: 'dotenv-token-7f3a9c' });
  const dir = mkdtempSync(join(tmpdir(), 's2t-dotenv-'));
  t.after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(
    join(dir, '.env'),
    [
      `SPEC2TICKETS_DATA_DIR=${join(dir, 'data')}`,
      `SPEC2TICKETS_SITE_URL=${fake.url}`,
      `SPEC2TICKETS_ATLASSIAN_EMAIL=${fake.email}`,
      `SPEC2TICKETS_ATLASSIAN_API_TOKEN="${fake.apiToken}"`,
      'SPEC2TICKETS_PUBLIC_PORT=0',
      'SPEC2TICKETS_ADMIN_PORT=0',
      '',
    ].join('\n'),
  );
  let out = '';
  let err = '';
  let stop: (sig: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => (stop = resolve));
  const serving = runServe({ logLevel: 'info' }, { out: (s) => void (out += s), err: (s) => void (err += s), env: { HOME: dir, SPEC2TICKETS_NO_KEYCHAIN: '1' }, cwd: dir, stopSignal: () => stopped });
  const deadline = Date.now() + 30_000;
  while (!/Admin .*: (\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  const adminUrl = new URL(/Admin .*: (\S+)/.exec(out)![1]!);
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(adminUrl.origin + path, { ...init, headers: { authorization: `Bearer ${adminUrl.searchParams.get('token')}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
  try {
    const view = (await (await admin('/api/settings')).json()) as { secrets: { atlassianApiToken: { set: boolean; store: string } } };
    assert.deepEqual(view.secrets.atlassianApiToken, { set: true, writable: false, store: 'env' });
    const { key } = (await (await admin('/api/keys', { method: 'POST', body: JSON.stringify({ name: 'forge' }) })).json()) as { key: string };
    const publicUrl = /Public API for Forge: (\S+)\/v1/.exec(out)![1]!;
    const health = (await (await fetch(`${publicUrl}/v1/health`, { headers: { authorization: `Bearer ${key}` } })).json()) as { jira: { ok: boolean; message: string } };
    assert.equal(health.jira.ok, true, `Jira accepts the token from .env: ${health.jira.message}`);
    assert.match(out, /^Secrets: Atlassian API token from the \.env file\.$/m, 'the banner names where the token came from');
    let note = '';
    await runKeys('list', undefined, { dataDir: join(dir, 'data') }, { out: () => {}, err: (s) => void (note += s), env: { HOME: dir } });
    assert.match(note, new RegExp(`the backend running there, process ${process.pid}`), note);
    assert.ok(fake.requests.some((r) => r.status === 200), 'the fake saw authenticated requests');
  } finally {
    stop('SIGTERM');
    await serving;
  }
  assert.ok(!out.includes(fake.apiToken) && !err.includes(fake.apiToken), 'the token appears in no output or log line');
});

test('a backend that was killed leaves a record that no longer counts as running', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-record-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const forget = recordRunningBackend(dir, { publicUrl: 'http://127.0.0.1:1', adminBaseUrl: 'http://127.0.0.1:2' }, 4_000_000);
  assert.equal(readRunningBackend(dir), undefined, 'no process has that id');
  assert.equal(readRunningBackend(dir, () => true)?.publicUrl, 'http://127.0.0.1:1');
  forget();
  assert.equal(readRunningBackend(dir, () => true), undefined, 'the record is removed on close');
});
