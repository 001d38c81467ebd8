import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSecretStore, describeSecretSources, EnvSecretStore, MemorySecretStore, KeytarSecretStore, SecretStoreReadOnlyError, secretsFromDotenv } from './secretStore.ts';

/** keytar's API over a Map: a keychain that starts empty. */
function memoryKeytar() {
  const saved = new Map<string, string>();
  return {
    getPassword: async (_s: string, account: string) => saved.get(account) ?? null,
    setPassword: async (_s: string, account: string, pw: string) => void saved.set(account, pw),
    deletePassword: async (_s: string, account: string) => saved.delete(account),
    findCredentials: async () => [],
  };
}

const storeModule = fileURLToPath(new URL('./secretStore.ts', import.meta.url));

test('without a keychain the environment store reads the token and refuses writes with what to do', async () => {
  const { store, note } = await createSecretStore({ env: { SPEC2TICKETS_ATLASSIAN_API_TOKEN: 'tok-123', SPEC2TICKETS_NO_KEYCHAIN: '1' } });
  assert.ok(store instanceof EnvSecretStore);
  assert.match(note, /environment/);
  assert.equal(await store.get('atlassianApiToken'), 'tok-123');
  await assert.rejects(store.set('atlassianApiToken', 'new-secret-value'), (err: unknown) => {
    assert.ok(err instanceof SecretStoreReadOnlyError);
    assert.match(err.message, /set SPEC2TICKETS_ATLASSIAN_API_TOKEN/);
    assert.ok(!err.message.includes('new-secret-value'), 'the secret must not appear in the message');
    return true;
  });
});

test('a token in .env is used when neither the environment nor the keychain has one', async () => {
  const dotenv = secretsFromDotenv({ SPEC2TICKETS_ATLASSIAN_API_TOKEN: ' from-dotenv ', SPEC2TICKETS_SITE_URL: 'https://x.atlassian.net' });
  assert.deepEqual(dotenv, { atlassianApiToken: 'from-dotenv' }, 'only secrets, trimmed');
  assert.deepEqual(secretsFromDotenv({ SPEC2TICKETS_ATLASSIAN_API_TOKEN: '' }), {}, 'an empty value is no token');

  const { store } = await createSecretStore({ env: { SPEC2TICKETS_NO_KEYCHAIN: '1' }, dotenv });
  assert.equal(store.kind, 'env');
  assert.equal(await store.get('atlassianApiToken'), 'from-dotenv');
  const envWins = await createSecretStore({ env: { SPEC2TICKETS_NO_KEYCHAIN: '1', SPEC2TICKETS_ATLASSIAN_API_TOKEN: 'from-env' }, dotenv });
  assert.equal(await envWins.store.get('atlassianApiToken'), 'from-env', 'the real environment wins over .env');

  const keychain = new KeytarSecretStore(memoryKeytar(), {}, dotenv);
  assert.equal(await keychain.get('atlassianApiToken'), 'from-dotenv', 'an empty keychain falls back to .env');
  await keychain.set('atlassianApiToken', 'saved-in-settings');
  assert.equal(await keychain.get('atlassianApiToken'), 'saved-in-settings', 'what the admin saved wins over .env');
});

test('each secret names where its value comes from (environment, .env file, OS keychain), never the value', async () => {
  const dotenv = { atlassianApiToken: 'dotenv-value-1' };
  const fromDotenv = new EnvSecretStore({}, dotenv);
  assert.equal(await fromDotenv.source('atlassianApiToken'), '.env file');
  assert.equal(await describeSecretSources(fromDotenv), 'Atlassian API token from the .env file');
  const fromEnv = new EnvSecretStore({ SPEC2TICKETS_ATLASSIAN_API_TOKEN: 'env-value-2' }, dotenv);
  assert.equal(await fromEnv.source('atlassianApiToken'), 'environment');
  const none = new EnvSecretStore({}, {});
  assert.equal(await none.source('atlassianApiToken'), undefined);
  assert.equal(await describeSecretSources(none), 'Atlassian API token not set (SPEC2TICKETS_ATLASSIAN_API_TOKEN)');
  assert.equal(await describeSecretSources(new MemorySecretStore()), 'Atlassian API token not set (SPEC2TICKETS_ATLASSIAN_API_TOKEN or Settings)');

  const keychain = new KeytarSecretStore(memoryKeytar(), {}, dotenv);
  assert.equal(await keychain.source('atlassianApiToken'), '.env file', 'an empty keychain: the .env file');
  await keychain.set('atlassianApiToken', 'kc-value-3');
  assert.equal(await keychain.source('atlassianApiToken'), 'OS keychain');
  const line = await describeSecretSources(keychain);
  assert.equal(line, 'Atlassian API token from the OS keychain');
  assert.ok(!line.includes('kc-value-3'));
});

test('with a real keychain (gnome-keyring) the token is stored there and read back by another process', (t) => {
  for (const bin of ['/usr/bin/dbus-run-session', '/usr/bin/gnome-keyring-daemon']) {
    assert.ok(existsSync(bin), `${bin} is missing: run build/setup.sh (installs gnome-keyring and dbus)`);
  }
  const home = mkdtempSync(join(tmpdir(), 's2t-keyring-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const script = (body: string) =>
    `node --import tsx --input-type=module -e "import { createSecretStore } from '${storeModule}'; const { store } = await createSecretStore({ env: {} }); ${body}"`;
  const write = script(`await store.set('atlassianApiToken', 'kc-secret-42'); console.log('WROTE ' + store.kind);`);
  const read = script(`console.log('READ ' + store.kind + ' ' + (await store.get('atlassianApiToken')));`);
  const r = spawnSync(
    '/usr/bin/dbus-run-session',
    ['--', 'sh', '-c', `printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; ${write} && ${read}`],
    { env: { PATH: process.env.PATH, HOME: home, XDG_RUNTIME_DIR: home, XDG_DATA_HOME: join(home, 'data') }, encoding: 'utf8', timeout: 60_000, cwd: process.cwd() },
  );
  assert.equal(r.status, 0, `child failed: ${r.stderr}`);
  assert.match(r.stdout, /WROTE keychain/);
  assert.match(r.stdout, /READ keychain kc-secret-42/);
});
