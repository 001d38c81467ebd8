import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, ConfigError } from './config.ts';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 's2t-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('configuration', () => {
  test('defaults: data folder under ~/.local/share, public 8787, admin 8788, no model (drafter)', (t) => {
    const home = tempDir(t);
    const { config, sources } = loadConfig({ env: {}, cwd: home, home });
    assert.equal(config.dataDir, join(home, '.local', 'share', 'spec2tickets'));
    assert.equal(config.publicHost, '127.0.0.1');
    assert.equal(config.publicPort, 8787);
    assert.equal(config.adminPort, 8788);
    assert.equal(config.model, undefined);
    assert.equal(sources.publicPort, 'default');
  });

  test('precedence is flag > env > .env > config.json > default', (t) => {
    const dir = tempDir(t);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ publicPort: 1001, adminPort: 2001, retentionDays: 9, jiraProjectKey: 'FILE' }));
    writeFileSync(join(dir, '.env'), 'SPEC2TICKETS_PUBLIC_PORT=1002\nSPEC2TICKETS_ADMIN_PORT=2002\nSPEC2TICKETS_RETENTION_DAYS=8\n');
    const env = { SPEC2TICKETS_DATA_DIR: dataDir, SPEC2TICKETS_PUBLIC_PORT: '1003', SPEC2TICKETS_ADMIN_PORT: '2003' };
    const { config, sources, pinned } = loadConfig({ env, cwd: dir, flags: { publicPort: '1004' } });
    assert.equal(config.publicPort, 1004);
    assert.equal(config.adminPort, 2003);
    assert.equal(config.retentionDays, 8);
    assert.equal(config.jiraProjectKey, 'FILE');
    assert.equal(config.rateLimitBurst, 30);
    assert.deepEqual([sources.publicPort, sources.adminPort, sources.retentionDays, sources.jiraProjectKey, sources.rateLimitBurst], ['flag', 'env', 'dotenv', 'file', 'default']);
    assert.ok(pinned.has('publicPort') && !pinned.has('jiraProjectKey'));
  });

  test('a bad value is refused with the variable name and the value given', (t) => {
    const dir = tempDir(t);
    assert.throws(
      () => loadConfig({ env: { SPEC2TICKETS_PUBLIC_PORT: 'abc', SPEC2TICKETS_SITE_URL: 'ftp://x' }, cwd: dir, home: dir }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /SPEC2TICKETS_PUBLIC_PORT must be a port number, got "abc"/);
        assert.match(err.message, /SPEC2TICKETS_SITE_URL must start with https:\/\//);
        return true;
      },
    );
  });

  test('an http:// site is refused unless it is on this machine (the API token would travel in clear)', (t) => {
    const dir = tempDir(t);
    for (const site of ['http://acme.atlassian.net', 'http://10.0.0.5:8080', 'http://127.evil.example']) {
      assert.throws(
        () => loadConfig({ env: { SPEC2TICKETS_SITE_URL: site }, cwd: dir, home: dir }),
        (err: unknown) => err instanceof ConfigError && /SPEC2TICKETS_SITE_URL must start with https:\/\/ \(http:\/\/ would send the Atlassian API token in clear/.test(err.message),
        site,
      );
    }
    for (const site of ['https://acme.atlassian.net', 'http://127.0.0.1:8443', 'http://localhost:9000', 'http://[::1]:9000']) {
      assert.equal(loadConfig({ env: { SPEC2TICKETS_SITE_URL: site }, cwd: dir, home: dir }).config.siteUrl, site);
    }
  });

  test('an unknown key or broken JSON in config.json is named', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ publicPrt: 1 }));
    assert.throws(() => loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir }, cwd: dir }), /unknown setting "publicPrt"/);
    writeFileSync(join(dir, 'config.json'), '{ nope');
    assert.throws(() => loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir }, cwd: dir }), /config\.json is not valid JSON/);
  });

  test('allowed projects come as a comma-separated list (env) or a list (config.json); a bad key is named', (t) => {
    const dir = tempDir(t);
    const fromEnv = loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir, SPEC2TICKETS_ALLOWED_PROJECTS: ' PAY, TEAM ,,PAY' }, cwd: dir });
    assert.deepEqual(fromEnv.config.allowedProjects, ['PAY', 'TEAM']);
    assert.deepEqual(loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir }, cwd: dir }).config.allowedProjects, [], 'empty: any project');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ allowedProjects: ['OPS'] }));
    assert.deepEqual(loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir }, cwd: dir }).config.allowedProjects, ['OPS']);
    assert.throws(
      () => loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir, SPEC2TICKETS_ALLOWED_PROJECTS: 'PAY,team-1' }, cwd: dir }),
      (e: unknown) => e instanceof ConfigError && /SPEC2TICKETS_ALLOWED_PROJECTS must be Jira project keys/.test(e.message),
    );
  });

  test('breakdown language and generation limit: page language and 30 minutes by default, validated from the environment', (t) => {
    const dir = tempDir(t);
    const plain = loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir }, cwd: dir }).config;
    assert.deepEqual([plain.outputLanguage, plain.generationTimeoutMinutes], [undefined, 30]);
    const set = loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir, SPEC2TICKETS_OUTPUT_LANGUAGE: 'pt-BR', SPEC2TICKETS_GENERATION_TIMEOUT_MINUTES: '90' }, cwd: dir }).config;
    assert.deepEqual([set.outputLanguage, set.generationTimeoutMinutes], ['pt-BR', 90]);
    assert.throws(
      () => loadConfig({ env: { SPEC2TICKETS_DATA_DIR: dir, SPEC2TICKETS_OUTPUT_LANGUAGE: 'German', SPEC2TICKETS_GENERATION_TIMEOUT_MINUTES: '0' }, cwd: dir }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /SPEC2TICKETS_OUTPUT_LANGUAGE must be a language code such as en, de, fr or pt-BR, got "German"/.test(e.message) &&
        /SPEC2TICKETS_GENERATION_TIMEOUT_MINUTES must be at least 1/.test(e.message),
    );
  });

  test('the site URL loses its trailing slash', (t) => {
    const dir = tempDir(t);
    const { config } = loadConfig({ env: { SPEC2TICKETS_SITE_URL: 'https://acme.atlassian.net/' }, cwd: dir, home: dir });
    assert.equal(config.siteUrl, 'https://acme.atlassian.net');
  });
});
