#!/usr/bin/env node
// `npm run stage:desktop`: lays out the desktop app in dist/app as electron-builder packages it —
// the bundles (main.mjs, backendProcess.mjs), the review queue (renderer/), the tray icons
// (icons/), a package.json of its own, and a node_modules of its own holding only the runtime
// dependencies, with node-llama-cpp's binaries for the target OS/arch only. Native modules built
// for one Node ABI (better-sqlite3) are rebuilt for the pinned Electron in this copy — never in the
// root node_modules, which the tests and `spec2tickets serve` run on with Node's ABI. Ends with the
// ABI check of every addon in the copy; exits 1 (with what to do) when one does not match.
//
// Options: --platform linux|darwin|win32, --arch x64|arm64 (default: this machine), --gpu
// cuda,vulkan|none (GPU back ends of node-llama-cpp to ship; default cuda), --cuda-ext (also its CUDA
// fallback library, ~360 MB), --no-rebuild (stage and check only).
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { spawn } from 'node:child_process';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { buildDesktop } from './build-desktop.mjs';
import { checkAddonTree, electronAbi, findAddons, readAddonAbi } from './native-abi.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Packages the app never loads at run time: the TypeScript runner and the CLI parser are for the headless CLI only. */
export const LEFT_OUT = new Set(['tsx', 'esbuild', 'commander', 'electron']);

const NLC_PLATFORM = { linux: 'linux', darwin: 'mac', win32: 'win' };

/** GPU back ends shipped by default: CUDA (NVIDIA); Metal is always in the macOS arm64 binary. */
export const DEFAULT_GPU = ['cuda'];

/**
 * Whether an @node-llama-cpp binary package is for the target: the CPU binary of the OS/arch, and
 * the GPU variants asked for (cuda, vulkan); cuda-ext (CUDA fallback library) only with cudaExt.
 */
export function llamaBinaryWanted(name, platform, arch, { gpu = DEFAULT_GPU, cudaExt = false } = {}) {
  const m = /^@node-llama-cpp\/(.+)$/.exec(name);
  if (!m) return true;
  const prefix = `${NLC_PLATFORM[platform] ?? platform}-${arch}`;
  const variant = m[1];
  if (variant === prefix) return true;
  if (!variant.startsWith(`${prefix}-`)) return false;
  const suffix = variant.slice(prefix.length + 1);
  if (suffix === 'metal') return true;
  if (suffix === 'cuda-ext') return cudaExt && gpu.includes('cuda');
  return gpu.includes(suffix);
}

/** Files in a copied package that only building it needs. */
function keepFile(pkg, relPath) {
  const p = relPath.split(sep).join('/');
  if (p === 'node_modules' || p.startsWith('node_modules/')) return false; // nested packages are copied as packages
  if (pkg === 'node-llama-cpp' && /^llama\/(gitRelease\.bundle|localBuilds|llama\.cpp)(\/|$)/.test(p)) return false;
  if (/(^|\/)build\/Release\/(obj\.target|\.deps)(\/|$)/.test(p)) return false;
  if (/(^|\/)build\/Release\/test_extension\.node$/.test(p)) return false;
  // Type declarations, source maps and docs are read by editors, never at run time.
  if (/\.(d\.[mc]?ts|map|md|markdown)$/i.test(p) && !/^(license|licence|notice)/i.test(p.split('/').pop())) return false;
  return true;
}

/** After the rebuild: the sources a native package was compiled from. */
const BUILD_ONLY = { 'better-sqlite3': ['deps', 'src'], keytar: ['src'] };

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Resolves a package folder the way Node does: <from>/node_modules/<name>, then upwards to the root. */
function resolvePackage(name, fromDir, rootModules) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === dirname(dir) || !(dir + sep).startsWith(dirname(rootModules) + sep)) break;
  }
  return undefined;
}

/**
 * The production dependency closure of `dependencies`, resolved in the root node_modules.
 * @returns {Map<string, { name: string, dir: string }>} keyed by the path relative to node_modules
 */
export function dependencyClosure(dependencies, { platform, arch, gpu = DEFAULT_GPU, cudaExt = false, rootDir = root } = {}) {
  const rootModules = join(rootDir, 'node_modules');
  const out = new Map();
  const queue = Object.keys(dependencies).map((name) => ({ name, from: rootDir, optional: false }));
  while (queue.length) {
    const { name, from, optional } = queue.shift();
    if (LEFT_OUT.has(name) || !llamaBinaryWanted(name, platform, arch, { gpu, cudaExt })) continue;
    const dir = resolvePackage(name, from, rootModules);
    if (!dir) {
      if (optional) continue; // an optional package for another OS, or one that did not install
      throw new Error(`${name} (needed by ${relative(rootDir, from) || 'the app'}) is not installed; run "npm ci" first`);
    }
    const key = relative(rootModules, dir);
    if (out.has(key)) continue;
    out.set(key, { name, dir });
    const pkg = readJson(join(dir, 'package.json'));
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true });
    // Required peers are installed beside the package (npm 7+); optional peers only when the app asks for them.
    for (const dep of Object.keys(pkg.peerDependencies ?? {}))
      if (!pkg.peerDependenciesMeta?.[dep]?.optional) queue.push({ name: dep, from: dir, optional: true });
  }
  return out;
}

/** Bytes under a folder. */
export function folderSize(dir) {
  let total = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  if (existsSync(dir)) walk(dir);
  return total;
}

export const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** The app's own package.json: what electron-builder reads for name, version, author, homepage, desktopName. */
export function appManifest(rootPkg, dependencies) {
  return {
    name: rootPkg.name,
    productName: 'Spec2Tickets',
    version: rootPkg.version,
    description: rootPkg.description,
    author: rootPkg.author,
    homepage: rootPkg.homepage,
    license: rootPkg.license,
    desktopName: rootPkg.desktopName,
    private: true,
    type: 'module',
    main: 'main.mjs',
    dependencies,
  };
}

/** Runs a command in its own process group and kills the whole group (make, cc…) on timeout. */
function run(cmd, args, { cwd, env, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out = (out + d).slice(-200_000)));
    child.stderr.on('data', (d) => (out = (out + d).slice(-200_000)));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (process.platform === 'win32') child.kill('SIGKILL');
        else process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: null, out, error: err });
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out, error: timedOut ? new Error(`timed out after ${Math.round(timeoutMs / 1000)} s`) : undefined });
    });
  });
}

/**
 * Rebuilds one staged native package for Electron: its published Electron prebuild first
 * (prebuild-install), else a compile against Electron's headers (node-gyp). Both download from the
 * internet; on failure the message says which step failed.
 */
async function rebuildForElectron(pkgDir, { electronVersion, platform, arch, timeoutMs = 600_000 }) {
  const bin = (name) => join(root, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);
  const attempts = [];
  const pkg = readJson(join(pkgDir, 'package.json'));
  const usesPrebuild = /prebuild-install/.test(pkg.scripts?.install ?? '');
  const steps = [
    ...(usesPrebuild ? [{ what: 'prebuild-install (Electron prebuild download)', cmd: bin('prebuild-install'), args: ['--runtime', 'electron', '--target', electronVersion, '--platform', platform, '--arch', arch, '--verbose'] }] : []),
    {
      what: "node-gyp (compile against Electron's headers)",
      cmd: bin('node-gyp'),
      args: ['rebuild', '--release', `--target=${electronVersion}`, `--arch=${arch}`, '--dist-url=https://electronjs.org/headers', '--runtime=electron'],
    },
  ];
  // An npm-configured nodedir (Debian's npm sets /usr) would make node-gyp compile against this
  // Node's headers instead of Electron's: a build for the wrong ABI.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(nodedir|node_gyp|target|runtime|disturl|dist_url|loglevel)$/i.test(k)));
  Object.assign(env, { npm_config_loglevel: 'warn', npm_config_runtime: 'electron', npm_config_target: electronVersion, npm_config_disturl: 'https://electronjs.org/headers' });
  for (const s of steps) {
    const r = await run(s.cmd, s.args, { cwd: pkgDir, env, timeoutMs });
    if (r.status === 0 && !r.error) return { ok: true, how: s.what };
    const lines = r.out.trim().split('\n').filter((l) => l.trim() && !/Warning:|--trace-warnings/.test(l));
    // The first lines naming the cause (a network error, a missing header) say more than the last.
    const errors = lines.filter((l) => /Error:|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|getaddrinfo|\b40[34]\b/.test(l));
    const tail = (errors.length ? errors.slice(0, 2) : lines.slice(-2)).join(' / ');
    attempts.push(`${s.what}: ${r.error ? r.error.message : `exit ${r.status}`}${tail ? ` (${tail.slice(0, 300)})` : ''}`);
  }
  return { ok: false, attempts };
}

/**
 * Stages the desktop app into outdir. Returns what a caller (setup, dist, tests) reports.
 * @param {{ outdir?: string, platform?: string, arch?: string, gpu?: string[], cudaExt?: boolean, rebuild?: boolean, log?: (line: string) => void }} [o]
 */
export async function stageDesktop(o = {}) {
  const outdir = resolve(o.outdir ?? join(root, 'dist', 'app'));
  const platform = o.platform ?? process.platform;
  const arch = o.arch ?? process.arch;
  const log = o.log ?? ((line) => console.log(line));
  const rootPkg = readJson(join(root, 'package.json'));
  const electronVersion = rootPkg.devDependencies.electron;

  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  await buildDesktop({ outdir });
  const rendererDist = join(root, 'renderer', 'dist');
  if (!existsSync(join(rendererDist, 'index.html'))) throw new Error('renderer/dist is missing: run "npm run build:renderer" first');
  cpSync(rendererDist, join(outdir, 'renderer'), { recursive: true });
  const icons = join(root, 'build', 'resources', 'tray');
  if (!existsSync(icons)) throw new Error('build/resources/tray is missing: run "npm run icons" first');
  cpSync(icons, join(outdir, 'icons'), { recursive: true });

  const wanted = { ...rootPkg.dependencies, ...rootPkg.optionalDependencies };
  const dependencies = Object.fromEntries(Object.entries(wanted).filter(([name]) => !LEFT_OUT.has(name)));
  writeFileSync(join(outdir, 'package.json'), `${JSON.stringify(appManifest(rootPkg, dependencies), null, 2)}\n`);

  const gpu = o.gpu ?? DEFAULT_GPU;
  const closure = dependencyClosure(dependencies, { platform, arch, gpu, cudaExt: o.cudaExt });
  const modules = join(outdir, 'node_modules');
  for (const [key, { name, dir }] of closure) {
    cpSync(dir, join(modules, key), { recursive: true, filter: (src) => keepFile(name, relative(dir, src)) });
  }
  log(`desktop app staged in ${relative(root, outdir)}: ${closure.size} packages for ${platform}-${arch}, GPU back ends: ${gpu.length ? gpu.join(', ') : 'none'}${o.cudaExt ? ' (+ CUDA fallback)' : ''} (left out: ${[...LEFT_OUT].join(', ')})`);

  const abi = electronAbi(electronVersion, root);
  const target = { abi, runtime: `Electron ${electronVersion}` };
  const rebuilt = [];
  const failures = [];
  if (o.rebuild !== false) {
    const needing = new Map();
    for (const file of findAddons(modules)) {
      const r = readAddonAbi(file);
      if (r.kind !== 'abi' || r.abi === abi) continue;
      const key = relative(modules, file).split(sep);
      const pkgKey = key[0].startsWith('@') ? join(key[0], key[1]) : key[0];
      needing.set(pkgKey, join(modules, pkgKey));
    }
    for (const [name, dir] of needing) {
      if (platform !== process.platform || arch !== process.arch) {
        failures.push(`${name}: cannot be rebuilt for ${platform}-${arch} on ${process.platform}-${process.arch}; stage on the target OS`);
        continue;
      }
      log(`rebuilding ${name} for Electron ${electronVersion} (native ABI ${abi})…`);
      const r = await rebuildForElectron(dir, { electronVersion, platform, arch });
      if (r.ok) rebuilt.push(`${name} (${r.how})`);
      else failures.push(`${name}: ${r.attempts.join('; ')}`);
    }
  }
  for (const [name, parts] of Object.entries(BUILD_ONLY)) for (const p of parts) rmSync(join(modules, name, p), { recursive: true, force: true });
  for (const [, { name }] of closure) {
    for (const p of ['build/Release/obj.target', 'build/Release/.deps', 'build/Release/test_extension.node']) rmSync(join(modules, name, p), { recursive: true, force: true });
  }

  const check = checkAddonTree(modules, target);
  for (const f of failures) if (!check.problems.some((p) => p.startsWith(f.split(':')[0]))) check.problems.push(`rebuild failed: ${f}`);
  const size = folderSize(outdir);
  const llamaSize = folderSize(join(modules, '@node-llama-cpp'));
  log(`app contents: ${mb(size)} (of which node-llama-cpp binaries ${mb(llamaSize)}); native addons: ${check.addons.map((a) => `${a.pkg} ${a.kind === 'abi' ? `ABI ${a.abi}` : a.kind === 'napi' ? 'N-API' : 'not an addon'}`).join(', ')}`);
  return { outdir, platform, arch, electronVersion, abi, size, llamaSize, rebuilt, failures, problems: check.problems, addons: check.addons };
}

/** The message setup and dist print when the staged app cannot run under Electron. */
export function notBuildableMessage(result) {
  return [
    `The desktop app cannot be built on this machine: its native modules do not match Electron ${result.electronVersion} (native ABI ${result.abi}).`,
    ...result.problems.map((p) => `  - ${p}`),
    ...(result.failures.length ? ['Rebuild attempts:', ...result.failures.map((f) => `  - ${f}`)] : []),
    'The rebuild downloads Electron\'s headers or prebuilds from the internet; run "npm run stage:desktop" again where that is reachable.',
    'The headless backend is not affected: "npm start" without Electron and "spec2tickets serve" run on Node with the root node_modules.',
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(name);
    return i === -1 ? undefined : args[i + 1];
  };
  try {
    const gpuArg = opt('--gpu');
    const result = await stageDesktop({ platform: opt('--platform'), arch: opt('--arch'), gpu: gpuArg === undefined ? undefined : gpuArg === 'none' ? [] : gpuArg.split(','), cudaExt: args.includes('--cuda-ext'), rebuild: !args.includes('--no-rebuild') });
    if (result.rebuilt.length) console.log(`rebuilt for Electron: ${result.rebuilt.join(', ')}`);
    if (result.problems.length) {
      console.error(notBuildableMessage(result));
      process.exit(1);
    }
    console.log(`every native module matches Electron ${result.electronVersion} (ABI ${result.abi})`);
  } catch (err) {
    console.error(`stage-desktop: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}
