// The Forge app builds the way `forge deploy` builds it: build/forge-bundle.mjs runs @forge/bundler's
// webpack configs (functions and each UI Kit resource) on a copy of forge/ that sees only its own
// node_modules — no root packages, no core/ — as a customer's `cd forge && npm ci && forge deploy`.

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const forgeDir = join(root, 'forge');

interface BundleReport {
  results: { name: string; ok: boolean; files: { path: string; bytes: number }[]; error: string | null }[];
}

/** A copy of the app as a customer has it: its own files and its own install, nothing above it. */
function copyApp(): string {
  const dir = mkdtempSync(join(tmpdir(), 's2t-forge-app-'));
  for (const name of ['manifest.yml', 'package.json', 'package-lock.json', 'tsconfig.json', 'src', 'locales']) {
    if (existsSync(join(forgeDir, name))) cpSync(join(forgeDir, name), join(dir, name), { recursive: true });
  }
  symlinkSync(join(forgeDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

function bundle(appDir: string, only?: string): { status: number | null; report: BundleReport | null; output: string } {
  const r = spawnSync(process.execPath, [join(root, 'build/forge-bundle.mjs'), '--app', appDir, '--json', ...(only ? ['--only', only] : [])], {
    encoding: 'utf8',
    timeout: 540_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  let report: BundleReport | null = null;
  try {
    report = JSON.parse(r.stdout) as BundleReport;
  } catch {
    // No report: the output says why.
  }
  return { status: r.status, report, output: `${r.stdout}${r.stderr}`.slice(0, 6000) };
}

describe('the Forge app builds with Forge’s bundler from a forge/-only install', () => {
  const dirs: string[] = [];
  let app: string;
  before(() => {
    assert.ok(existsSync(join(forgeDir, 'node_modules/@forge/bundler')), 'forge/ has no install of its own: run `bash build/setup.sh` (or `cd forge && npm ci`)');
    app = copyApp();
    dirs.push(app);
  });
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('the functions bundle and both UI Kit resources build, and the bundle exports every handler', () => {
    const { status, report, output } = bundle(app);
    assert.ok(report, output);
    const byName = new Map(report.results.map((r) => [r.name, r]));
    assert.deepEqual([...byName.keys()].sort(), ['functions', 'macro-ui', 'settings-ui']);
    for (const r of report.results) assert.equal(r.ok, true, `${r.name}: ${r.error}`);
    assert.equal(status, 0, output);
    assert.ok(byName.get('functions')!.files.some((f) => f.path === 'index.cjs'), 'index.cjs is the functions bundle');
    for (const ui of ['macro-ui', 'settings-ui']) {
      const files = byName.get(ui)!.files.map((f) => f.path);
      assert.ok(files.includes('index.html') && files.some((f) => /\.js$/.test(f)), `${ui}: ${files.join(', ')}`);
    }
  });

  test('a UI resource with a type error fails its bundle, named, with the compiler’s message', () => {
    const broken = copyApp();
    dirs.push(broken);
    const file = join(broken, 'src/frontend/macro.tsx');
    writeFileSync(file, readFileSync(file, 'utf8') + '\nconst wrong: number = "not a number";\nvoid wrong;\n');
    const { status, report, output } = bundle(broken, 'macro-ui');
    assert.notEqual(status, 0, 'the build fails');
    const macro = report?.results.find((r) => r.name === 'macro-ui');
    assert.ok(macro, output);
    assert.equal(macro.ok, false);
    assert.match(macro.error ?? '', /not assignable to type 'number'/);
  });

  test('source that reaches outside forge/ (as an import of core/ once did) does not build', () => {
    const broken = copyApp();
    dirs.push(broken);
    const file = join(broken, 'src/backend/backendClient.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("from '#src/contract/publicApi'", "from '../../../core/server/publicApi.ts'"));
    const { status, report, output } = bundle(broken, 'functions');
    assert.notEqual(status, 0, output);
    assert.equal(report?.results[0]?.ok, false, output);
  });
});

test('forge/ has its own lockfile, and every install script in it is a decision in forge/package.json allowScripts', () => {
  const lock = JSON.parse(readFileSync(join(forgeDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { name?: string; hasInstallScript?: boolean }> };
  const manifest = JSON.parse(readFileSync(join(forgeDir, 'package.json'), 'utf8')) as { allowScripts?: Record<string, unknown>; dependencies?: Record<string, string> };
  assert.ok(lock.packages['node_modules/@forge/bundler'], 'Forge’s bundler is a devDependency of the app, pinned by its lockfile');
  const withScripts = Object.entries(lock.packages)
    .filter(([path, e]) => path !== '' && e.hasInstallScript)
    .map(([path, e]) => e.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  const missing = [...new Set(withScripts)].filter((n) => typeof manifest.allowScripts?.[n] !== 'boolean').sort();
  assert.deepEqual(missing, [], `add these to forge/package.json allowScripts: ${missing.join(', ')}`);
});
