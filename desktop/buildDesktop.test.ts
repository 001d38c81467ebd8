// The desktop bundle Electron runs: built into a temp folder by the real build script.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDesktop } from '../build/build-desktop.mjs';

const out = mkdtempSync(join(tmpdir(), 's2t-desktop-bundle-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** Bare package names the bundle imports (static and dynamic). */
function importedPackages(code: string): Set<string> {
  const names = new Set<string>();
  for (const m of code.matchAll(/(?:^|\n)\s*import\s[^;]*?from\s*"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)) {
    const spec = m[1] ?? m[2];
    if (spec && !spec.startsWith('.') && !spec.startsWith('node:')) names.add(spec);
  }
  return names;
}

test('build:desktop writes the main and backend bundles with packages left to node_modules', async () => {
  const files = await buildDesktop({ outdir: out });
  const main = join(out, 'main.mjs');
  const backend = join(out, 'backendProcess.mjs');
  assert.ok(files.includes(main) && files.includes(backend), `written: ${files.join(', ')}`);
  assert.ok(existsSync(main) && existsSync(backend));

  const mainCode = readFileSync(main, 'utf8');
  const backendCode = readFileSync(backend, 'utf8');
  const mainImports = importedPackages(mainCode);
  const backendImports = importedPackages(backendCode);

  assert.ok(mainImports.has('electron'), 'the main process imports electron from the runtime');
  assert.ok(mainImports.has('keytar'), 'keytar (native) is loaded from node_modules, not inlined');
  assert.ok(!backendImports.has('electron'), 'the backend process does not need electron');
  for (const native of ['better-sqlite3', 'node-llama-cpp']) assert.ok(backendImports.has(native), `${native} stays an import`);
  // Inlined native packages would carry their loader code; our own modules are bundled.
  for (const code of [mainCode, backendCode]) {
    assert.doesNotMatch(code, /require\(["']bindings["']\)|\.node["']\)|prebuild-install|node-gyp-build/);
    assert.doesNotMatch(code, /from\s*"\.\.?\//, 'no relative import is left unbundled');
  }
  assert.match(backendCode, /backend:hello/, 'the backend host is in the backend bundle');
  assert.match(mainCode, /backendProcess\.mjs/, 'the main process forks the bundled backend entry');
});
