// The code base type-checks (core/desktop/tests, the renderer, the Forge app), lints clean and decides
// every dependency's install script: run as part of the test suite so a clean clone proves it, not only a
// developer's machine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

for (const project of ['tsconfig.json', 'renderer/tsconfig.json', 'forge/tsconfig.json']) {
  test(`${project} type-checks with no errors`, () => {
    const r = run(['node_modules/typescript/bin/tsc', '--noEmit', '-p', project]);
    assert.equal(r.status, 0, r.output.slice(0, 4000));
  });
}

test('npm run typecheck checks every TypeScript project, not only the root one', () => {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = manifest.scripts.typecheck ?? '';
  for (const project of ['tsconfig.json', 'renderer/tsconfig.json', 'forge/tsconfig.json']) {
    assert.ok(script.split('&&').some((step) => new RegExp(`\\btsc\\b.*-p ${project.replace('.', '\\.')}(\\s|$)`).test(step.trim())), `typecheck does not cover ${project}: ${script}`);
  }
});

test('eslint finds no problems', () => {
  const r = run(['node_modules/eslint/bin/eslint.js', '--max-warnings=0', '.']);
  assert.equal(r.status, 0, r.output.slice(0, 4000));
});

// npm 11 only warns about install scripts missing from allowScripts; npm 12 skips them, which would leave
// the native modules unbuilt on a fresh clone. Every script in the lockfile must be a decision, not a default.
test('every lockfile package with an install script is listed in package.json allowScripts', () => {
  const read = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'));
  const lock = read('package-lock.json') as { packages: Record<string, { name?: string; hasInstallScript?: boolean }> };
  const manifest = read('package.json') as { allowScripts?: Record<string, unknown> };
  const allowed = manifest.allowScripts ?? {};
  const withScripts = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!entry.hasInstallScript || path === '') continue;
    withScripts.add(entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  }
  assert.ok(withScripts.has('better-sqlite3'), 'the lockfile lists better-sqlite3 with its install script');
  const missing = [...withScripts].filter((name) => typeof allowed[name] !== 'boolean').sort();
  assert.deepEqual(missing, [], `add these to allowScripts (true if the package must build or fetch binaries): ${missing.join(', ')}`);
  for (const name of ['better-sqlite3', 'keytar', 'node-llama-cpp', 'esbuild']) assert.equal(allowed[name], true, `${name} must be allowed to run its install script`);
});
