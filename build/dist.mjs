#!/usr/bin/env node
// `npm run dist`: the desktop app's installers for this OS (AppImage and deb on Linux, NSIS on
// Windows, dmg on macOS) in dist/desktop. Stages dist/app (stage-desktop.mjs: own node_modules,
// native modules rebuilt for Electron, ABI check), stops with the reason when the staged app cannot
// run under Electron, runs electron-builder (electron-builder.yml), then prints the packaged sizes.
// Needs the internet twice: Electron's headers or prebuilds (rebuild) and Electron's zip
// (electron-builder) — or ELECTRON_DIST pointing at an unpacked Electron 45 of the target OS.
// Extra arguments go to stage-desktop (--gpu cuda,vulkan, --cuda-ext).
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { folderSize, mb, notBuildableMessage, stageDesktop } from './stage-desktop.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = join(root, 'dist', 'desktop');
/** The size a Linux x64 package with CUDA binaries should stay under. */
export const SIZE_GOAL_MB = 250;

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const gpuArg = opt('--gpu');
const result = await stageDesktop({ gpu: gpuArg === undefined ? undefined : gpuArg === 'none' ? [] : gpuArg.split(','), cudaExt: args.includes('--cuda-ext') }).catch((err) => {
  console.error(`dist: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
if (result.problems.length) {
  console.error(notBuildableMessage(result));
  console.error('dist: not packaged — an app with native modules for the wrong ABI would crash at its first database access.');
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
const platformFlag = { linux: '--linux', darwin: '--mac', win32: '--win' }[process.platform];
const builderArgs = [join(root, 'node_modules', 'electron-builder', 'cli.js'), platformFlag, `--${process.arch}`, '--config', join(root, 'electron-builder.yml'), '--publish', 'never'];
if (process.env.ELECTRON_DIST) builderArgs.push(`--config.electronDist=${process.env.ELECTRON_DIST}`);
const r = spawnSync(process.execPath, builderArgs, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    'dist: electron-builder failed (above). Offline, its download of Electron\'s zip (GitHub) fails: set ELECTRON_DIST to an unpacked Electron 45.5.0 ' +
      'for this OS, or put the zip in electron-builder\'s cache (ELECTRON_CACHE), and run "npm run dist" again.',
  );
  process.exit(r.status ?? 1);
}

console.log(`app contents (dist/app): ${mb(result.size)}, of which node-llama-cpp binaries ${mb(result.llamaSize)}`);
for (const name of readdirSync(out).sort()) {
  const p = join(out, name);
  const s = statSync(p);
  if (s.isDirectory() && name.endsWith('-unpacked')) console.log(`packaged app, unpacked: ${relative(root, p)} ${mb(folderSize(p))}`);
  else if (s.isFile() && /\.(AppImage|deb|exe|dmg|zip|rpm|snap)$/.test(name)) {
    const over = s.size > SIZE_GOAL_MB * 1024 * 1024 ? ` (over the ${SIZE_GOAL_MB} MB goal)` : '';
    console.log(`package: ${relative(root, p)} ${mb(s.size)}${over}`);
  }
}
if (!existsSync(out)) process.exit(1);
