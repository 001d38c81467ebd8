#!/usr/bin/env node
// `npm start`: the desktop app when an Electron binary and a display are present; otherwise the
// headless backend (`spec2tickets serve`) in this process, after one line saying why.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function electronBinary() {
  const dir = join(root, 'node_modules', 'electron');
  if (!existsSync(dir)) return { ok: false, why: 'Electron is not installed' };
  const pathTxt = join(dir, 'path.txt');
  const bin = existsSync(pathTxt) ? join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim()) : undefined;
  if (!bin || !existsSync(bin)) return { ok: false, why: 'the Electron binary was not downloaded' };
  return { ok: true, bin };
}

// The review queue is served from renderer/dist; build it once when a checkout has not yet.
if (!existsSync(join(root, 'renderer', 'dist', 'index.html'))) {
  try {
    const { build } = await import('vite');
    console.log('Building the review queue (renderer/dist)…');
    await build({ configFile: join(root, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
  } catch (err) {
    console.error(`The review queue could not be built (${err instanceof Error ? err.message : String(err)}); the admin API still works.`);
  }
}

const electron = electronBinary();
const display = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
// package.json "main" points at the bundle (dist/app/main.mjs); from a checkout it is rebuilt
// from desktop/ first (esbuild, well under a second) so `npm start` never runs a stale bundle.
const desktopBundle = join(root, 'dist', 'app', 'main.mjs');
const desktopSource = existsSync(join(root, 'desktop', 'main.ts'));
let desktopEntry = existsSync(desktopBundle);
if (electron.ok && display && desktopSource) {
  try {
    const { buildDesktop } = await import('./build-desktop.mjs');
    await buildDesktop();
    desktopEntry = true;
  } catch (err) {
    console.error(`The desktop app could not be built: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// Electron loads native modules from dist/app/node_modules (staged and rebuilt for its ABI by
// npm run stage:desktop); with Node's builds it would crash at the first database access.
let nativeProblem;
if (electron.ok && display && desktopEntry) {
  const { checkAddonTree, electronAbi } = await import('./native-abi.mjs');
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron;
  const { problems } = checkAddonTree(join(root, 'dist', 'app', 'node_modules'), { abi: electronAbi(version, root), runtime: `Electron ${version}` });
  if (problems.length) nativeProblem = `the desktop app's native modules are not built for Electron (${problems[0]}; run "npm run stage:desktop")`;
}

if (electron.ok && display && desktopEntry && !nativeProblem) {
  const child = spawn(electron.bin, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  const why = !electron.ok ? electron.why : !display ? 'no display (DISPLAY/WAYLAND_DISPLAY unset)' : nativeProblem ?? 'the desktop app is not built (npm run build:desktop)';
  console.log(`Starting headless: ${why}; running "spec2tickets serve" (open the admin URL below in a browser).`);
  const { tsImport } = await import('tsx/esm/api');
  const { Command } = await import('commander');
  const { registerServe } = await tsImport('../core/cli/serve.ts', import.meta.url);
  const program = new Command().name('spec2tickets');
  registerServe(program);
  try {
    await program.parseAsync(['serve', ...process.argv.slice(2)], { from: 'user' });
  } catch (err) {
    console.error(`spec2tickets: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  }
}
