// The code base type-checks (core/desktop/tests, the renderer, the Forge app) and lints clean:
// run as part of the test suite so a clean clone proves it, not only a developer's machine.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
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

test('eslint finds no problems', () => {
  const r = run(['node_modules/eslint/bin/eslint.js', '--max-warnings=0', '.']);
  assert.equal(r.status, 0, r.output.slice(0, 4000));
});
