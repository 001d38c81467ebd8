// Builds the Forge app the way `forge deploy` does, offline: the functions bundle with
// @forge/bundler's Node bundler (webpack + ts-loader with the app's tsconfig.json) and each UI Kit
// resource with its NativeUIBundler, all taken from the app's own node_modules — so it proves that
// forge/ builds from a forge/-only install, as a customer deploys it. `forge deploy` also needs a
// login and uploads; this stops at the bundles.
//
//   node build/forge-bundle.mjs [--app <dir>] [--only <functions|resource key>] [--json] [--keep]
//
// Prints one line per bundle (or a JSON report with --json) and exits 1 when any bundle fails;
// the bundles are written to temporary directories, removed at the end unless --keep.
// The CLI downloads the Forge runtime wrapper from Atlassian's CDN at deploy time; here a local
// stand-in file takes its place, since it is not part of what the app's code decides.

import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire, Module } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function arg(argv, flag) {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** Bundles the app in `appDir`; resolves to one entry per bundle: functions, then each UI resource. */
export async function bundleForgeApp(appDir, only = null) {
  appDir = resolve(appDir);
  const require = createRequire(join(appDir, 'package.json'));
  let bundler;
  try {
    bundler = require('@forge/bundler');
  } catch {
    throw new Error(`@forge/bundler is not installed in ${appDir}: run \`npm ci\` (or \`npm install\`) inside it first.`);
  }
  const yaml = require('yaml');
  const manifest = yaml.parse(readFileSync(join(appDir, 'manifest.yml'), 'utf8'));

  const logger = {
    warnings: [],
    info() {},
    debug() {},
    trace() {},
    warn(message) {
      this.warnings.push(String(message));
    },
    error(message) {
      this.warnings.push(String(message));
    },
  };

  // Stand-in for the runtime wrapper the CLI fetches from Atlassian's CDN.
  const runtimeDir = mkdtempSync(join(tmpdir(), 'forge-runtime-'));
  mkdirSync(join(runtimeDir, 'dist'));
  writeFileSync(join(runtimeDir, 'dist', 'wrapper.js'), '/* Forge runtime wrapper stand-in */\n');
  writeFileSync(join(runtimeDir, 'dist', 'loader.js'), '/* Forge runtime loader stand-in */\n');
  const fsReader = {
    readFileAsync: async (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
  const wrapperProvider = new bundler.LocalWrapperProvider(fsReader, runtimeDir);
  const configReader = { readConfig: async () => manifest };
  const statsig = { isTypescriptBundlerEnabled: async () => false };

  const cwd = process.cwd();
  // The CLI runs in the app's directory: resource paths and the tsconfig are found from there.
  process.chdir(appDir);
  const results = [];
  try {
    const handlers = (manifest.modules?.function ?? []).map((f) => {
      const [module, fn] = String(f.handler).split('.');
      return { module, functionName: fn, functionKey: f.key };
    });
    const entryPoints = bundler.getEntryPoints(handlers);
    if (only === null || only === 'functions') results.push(
      await run('functions', async () => {
        const out = await bundler.getNodeBundler(logger, wrapperProvider, configReader, statsig).bundle({ appDirectory: appDir, entryPoints });
        // What Forge calls: each handler in the manifest must be a function exported by its bundle.
        for (const h of handlers) {
          const file = join(out.outputDir, `${h.module}.cjs`);
          const probe = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(file)}); process.stdout.write(typeof m[${JSON.stringify(h.functionName)}]);`], { encoding: 'utf8', timeout: 60_000 });
          if (probe.stdout !== 'function') {
            throw new Error(`The bundle ${h.module}.cjs does not export a function ${h.functionName} (manifest function ${h.functionKey})${probe.stderr ? `: ${probe.stderr.trim().split('\n')[0]}` : ''}.`);
          }
        }
        return out;
      }),
    );

    const nativeKeys = new Set();
    for (const list of Object.values(manifest.modules ?? {})) {
      for (const m of Array.isArray(list) ? list : []) if (m.render === 'native' && m.resource) nativeKeys.add(m.resource);
    }
    const ui = new bundler.NativeUIBundler(logger);
    for (const r of manifest.resources ?? []) {
      if (!nativeKeys.has(r.key) || (only !== null && only !== r.key)) continue;
      results.push(
        await run(r.key, async () => {
          const { nativeUiBundlesDetails } = await ui.bundleResources([{ key: r.key, path: r.path }], manifest.translations);
          return { outputDir: nativeUiBundlesDetails[0].path };
        }),
      );
    }
  } finally {
    process.chdir(cwd);
    rmSync(runtimeDir, { recursive: true, force: true });
  }
  return { results, warnings: logger.warnings };
}

async function run(name, build) {
  const started = Date.now();
  try {
    const out = await build();
    const files = listFiles(out.outputDir);
    return { name, ok: true, ms: Date.now() - started, outputDir: out.outputDir, files, error: null };
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).trim();
    return { name, ok: false, ms: Date.now() - started, outputDir: null, files: [], error: message };
  }
}

function listFiles(dir, base = dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) listFiles(p, base, out);
    else out.push({ path: relative(base, p), bytes: statSync(p).size });
  }
  return out;
}

async function main(argv) {
  const appDir = resolve(arg(argv, '--app') ?? join(root, 'forge'));
  // The bundler writes into fresh temporary directories, failed builds included: keep them all in one
  // place that is removed at the end (unless --keep).
  const workDir = mkdtempSync(join(tmpdir(), 's2t-forge-bundle-'));
  process.env.TMPDIR = workDir;
  let failed = false;
  try {
    // @forge/bundler checks require.main (the Forge CLI is a CommonJS program); an ES module entry has none.
    if (!process.mainModule) process.mainModule = new Module(fileURLToPath(import.meta.url));
    const { results, warnings } = await bundleForgeApp(appDir, arg(argv, '--only') ?? null);
    if (results.length === 0) throw new Error(`No bundle named ${arg(argv, '--only')}: the bundles are "functions" and the manifest's UI Kit resource keys.`);
    if (argv.includes('--json')) {
      console.log(JSON.stringify({ appDir, results, warnings }, null, 2));
    } else {
      for (const r of results) {
        if (r.ok) {
          const main = r.files.filter((f) => /\.(c?js)$/.test(f.path) && !f.path.includes('__forge')).reduce((n, f) => n + f.bytes, 0);
          console.log(`ok    ${r.name}  ${(r.ms / 1000).toFixed(1)} s  ${r.files.length} files, ${Math.round(main / 1024)} KiB of JavaScript  ${argv.includes('--keep') ? `(${r.outputDir})` : ''}`);
        } else {
          console.log(`FAIL  ${r.name}\n${r.error.replace(/^/gm, '      ')}`);
        }
      }
    }
    failed = results.some((r) => !r.ok);
  } finally {
    if (!argv.includes('--keep')) rmSync(workDir, { recursive: true, force: true });
  }
  if (failed) process.exit(1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
