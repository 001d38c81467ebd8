// The Forge manifest, checked offline: against the manifest JSON schema that @forge/manifest ships
// (the one the Forge CLI uses), with @forge/manifest's own full validation (resources and handler
// files exist), and for what neither checks — that each handler is really exported and each UI
// module reaches only its own resolver.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

const require = createRequire(import.meta.url);
const forgeDir = fileURLToPath(new URL('../../forge/', import.meta.url));
const manifestText = readFileSync(`${forgeDir}manifest.yml`, 'utf8');

interface Manifest {
  app: { id: string; runtime: { name: string } };
  modules: {
    macro: { key: string; title: { i18n: string }; description: { i18n: string }; resource: string; resolver: { function: string } }[];
    'confluence:globalSettings': { key: string; title: { i18n: string }; resource: string; resolver: { function: string } }[];
    function: { key: string; handler: string }[];
  };
  resources: { key: string; path: string }[];
  permissions: { scopes: string[]; external: { fetch: { backend: ({ address: string } | string)[] } } };
  translations: { resources: { key: string; path: string }[]; fallback: { default: string } };
}

type Messages = { [key: string]: string | Messages };
const locale = (path: string): Messages => JSON.parse(readFileSync(`${forgeDir}${path}`, 'utf8')) as Messages;
function flatKeys(m: Messages, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatKeys(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

function schemaValidator() {
  const schema = JSON.parse(readFileSync(require.resolve('@forge/manifest/schema.json'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  const validate = ajv.compile(schema);
  return (m: unknown): string | null => (validate(m) ? null : ajv.errorsText(validate.errors?.slice(0, 5)));
}

const load = (): Manifest => parse(manifestText) as Manifest;

describe('Forge manifest', () => {
  const validate = schemaValidator();

  test('the manifest matches the Forge manifest schema', () => {
    assert.equal(validate(load()), null);
  });

  test('a broken manifest fails the schema check', () => {
    const noRuntime = load() as unknown as { app: { runtime: { name: string } } };
    noRuntime.app.runtime.name = 'nodejs18.x';
    assert.notEqual(validate(noRuntime), null, 'an unsupported runtime is refused');

    const noFunction = load() as unknown as { modules: { function: Record<string, unknown>[] } };
    delete noFunction.modules.function[0]!.handler;
    assert.notEqual(validate(noFunction), null, 'a function without a handler is refused');

    const typo = { ...load(), permisions: {} };
    assert.notEqual(validate(typo), null, 'an unknown top-level key is refused');

    const badMacro = load();
    (badMacro.modules.macro[0] as unknown as Record<string, unknown>).key = 'has spaces!';
    assert.notEqual(validate(badMacro), null, 'an invalid module key is refused');
  });

  test("@forge/manifest's full validation finds every resource and handler file", async () => {
    const { validate: fullValidate } = (await import('@forge/manifest')) as unknown as { validate: (basic: boolean, file: string) => Promise<{ success: boolean; errors?: { message: string }[] }> };
    const cwd = process.cwd();
    process.chdir(forgeDir);
    try {
      const res = await fullValidate(false, 'manifest.yml');
      assert.equal(res.success, true, JSON.stringify(res.errors?.map((e) => e.message)));
    } finally {
      process.chdir(cwd);
    }
  });

  test('the app has the macro, the admin page, its own resolver each, and the permissions it needs', async () => {
    const m = load();
    assert.match(m.app.runtime.name, /^nodejs(20|22|24)\.x$/);
    const macro = m.modules.macro[0]!;
    const settings = m.modules['confluence:globalSettings'][0]!;
    const en = flatKeys(locale(m.translations.resources.find((r) => r.key === m.translations.fallback.default)!.path));
    assert.equal(en.get(macro.title.i18n), 'Generate Jira breakdown');
    assert.notEqual(macro.resolver.function, settings.resolver.function, 'the macro cannot call the settings resolvers');
    const index = (await import('../../forge/src/index.ts')) as Record<string, unknown>;
    for (const mod of [macro, settings]) {
      const fn = m.modules.function.find((f) => f.key === mod.resolver.function);
      assert.ok(fn, `function ${mod.resolver.function} is declared`);
      const [file, name] = fn.handler.split('.');
      assert.equal(file, 'index');
      assert.equal(typeof index[name!], 'function', `src/index.ts exports ${name}`);
      const res = m.resources.find((r) => r.key === mod.resource);
      assert.ok(res, `resource ${mod.resource} is declared`);
      assert.match(res.path, /^src\/frontend\/\w+\.tsx$/);
    }
    assert.ok(m.permissions.scopes.includes('storage:app'), 'settings and the API key live in Forge storage');
    assert.ok(m.permissions.scopes.includes('read:page:confluence'), 'the page version and edit permission are read as the user');
    assert.ok(m.permissions.scopes.includes('read:confluence-user'), 'the admin check on the settings asks Confluence who the user is');
    assert.ok(m.permissions.external.fetch.backend.length >= 1, 'the backend host is an allowed egress');
  });

  test('every text the manifest and the UI use is translated, in English and German, with the same keys', () => {
    const m = load();
    const keys = (r: string) => m.translations.resources.find((x) => x.key === r);
    assert.ok(keys('en-US') && keys('de-DE'), 'English and German translations are declared');
    assert.equal(m.translations.fallback.default, 'en-US');
    const en = flatKeys(locale(keys('en-US')!.path));
    const de = flatKeys(locale(keys('de-DE')!.path));
    assert.deepEqual([...de.keys()].sort(), [...en.keys()].sort(), 'German has exactly the English keys');
    for (const [k, v] of de) assert.ok(v.trim() !== '', `de-DE ${k} is empty`);
    const used = new Set<string>([m.modules.macro[0]!.title.i18n, m.modules.macro[0]!.description.i18n, m.modules['confluence:globalSettings'][0]!.title.i18n]);
    for (const file of ['src/frontend/macro.tsx', 'src/frontend/settings.tsx']) {
      for (const match of readFileSync(`${forgeDir}${file}`, 'utf8').matchAll(/\bt\('([\w.]+)'/g)) used.add(match[1]!);
    }
    for (const code of ['anonymous', 'no_page', 'no_site', 'job_not_for_this_page', 'invalid_job_id', 'not_admin', 'not_allowed', 'page_not_visible', 'key_required']) used.add(`errors.${code}`);
    for (const state of ['queued', 'fetching', 'generating', 'awaiting_review', 'approved', 'creating', 'done', 'rejected', 'failed', 'cancelled']) used.add(`macro.state.${state}`);
    const missing = [...used].filter((k) => !en.has(k));
    assert.deepEqual(missing, [], 'keys used but not in locales/en-US.json');
    assert.ok(used.size > 30, `the UI's words go through translations (${used.size} keys)`);
  });
});
