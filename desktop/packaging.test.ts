// The desktop app's packaging: the native-ABI check (on the real addons of node_modules), the staged
// app tree with its own package.json and node_modules, and the icons made from one drawing.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { inflateSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAddonTree, electronAbi, readAddonAbi } from '../build/native-abi.mjs';
import { LEFT_OUT, llamaBinaryWanted, stageDesktop } from '../build/stage-desktop.mjs';
import { ICNS_TYPES, crc32, makeIcons } from '../build/make-icons.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 's2t-packaging-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SQLITE_ADDON = join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const KEYTAR_ADDON = join(root, 'node_modules', 'keytar', 'build', 'Release', 'keytar.node');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

test('the ABI of each real addon is read from the file, as nm reports it', () => {
  const sqlite = readAddonAbi(SQLITE_ADDON);
  assert.deepEqual(sqlite, { kind: 'abi', abi: Number(process.versions.modules) }, 'better-sqlite3 is built for this Node');
  assert.deepEqual(readAddonAbi(KEYTAR_ADDON), { kind: 'napi' });
  assert.deepEqual(readAddonAbi(join(root, 'node_modules', 'better-sqlite3', 'build', 'Release', 'test_extension.node')), { kind: 'none' }, 'a SQLite extension is no Node addon');
  const nm = spawnSync('nm', ['-D', '--defined-only', SQLITE_ADDON], { encoding: 'utf8' });
  if (nm.status === 0) assert.match(nm.stdout, new RegExp(`node_register_module_v${(sqlite as { abi: number }).abi}\\b`));
  assert.equal(electronAbi(pkg.devDependencies.electron ?? '', root), 150, 'Electron 45 needs native ABI 150');
});

function fakeTree(name: string, addons: Record<string, string | null>): string {
  const modules = join(tmp, name, 'node_modules');
  for (const [p, src] of Object.entries(addons)) {
    const dir = join(modules, p);
    mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: p, version: '1.0.0' }));
    writeFileSync(join(dir, 'binding.gyp'), '{}');
    if (src) copyFileSync(src, join(dir, 'build', 'Release', `${p.replace('/', '-')}.node`));
    else rmSync(join(dir, 'build'), { recursive: true });
  }
  return modules;
}

test("the desktop tree check names every addon whose ABI is not Electron's, and a build that is missing", () => {
  const target = { abi: 150, runtime: 'Electron 45.5.0' };
  const mixed = checkAddonTree(fakeTree('mixed', { 'better-sqlite3': SQLITE_ADDON, keytar: KEYTAR_ADDON }), target);
  assert.deepEqual(
    mixed.addons.map((a) => [a.pkg, a.kind, a.ok]),
    [
      ['better-sqlite3', 'abi', false],
      ['keytar', 'napi', true],
    ],
  );
  assert.equal(mixed.problems.length, 1);
  assert.match(mixed.problems[0]!, /^better-sqlite3 \(better-sqlite3\/build\/Release\/better-sqlite3\.node\) is built for native ABI 115 \(Node 20\), but Electron 45\.5\.0 needs 150; rebuild it for Electron/);

  const deleted = checkAddonTree(fakeTree('deleted', { 'better-sqlite3': null, keytar: KEYTAR_ADDON }), target);
  assert.deepEqual(deleted.problems, ['better-sqlite3 has no native addon (better-sqlite3/build is missing): its build or its rebuild for Electron 45.5.0 failed']);

  assert.deepEqual(checkAddonTree(fakeTree('napi-only', { keytar: KEYTAR_ADDON }), target).problems, []);
  assert.match(checkAddonTree(join(tmp, 'nowhere'), target).problems[0]!, /was not staged \(run "npm run stage:desktop"\)/);
});

test('check-native --desktop exits 1 with what to do when the tree does not match Electron', () => {
  fakeTree(join('cli', 'app'), { 'better-sqlite3': SQLITE_ADDON });
  const r = spawnSync(process.execPath, [join(root, 'build', 'check-native.mjs'), '--desktop', join(tmp, 'cli', 'app')], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /better-sqlite3 .* built for native ABI 115 .* needs 150/);
  assert.match(r.stderr, /the desktop app cannot run under Electron 45\.5\.0 \(ABI 150\); the headless backend \("spec2tickets serve"\) is not affected/);
});

test('node-llama-cpp binaries are kept for the target OS/arch and chosen GPU back ends only', () => {
  const keep = (n: string, p: string, a: string, o?: { gpu?: string[]; cudaExt?: boolean }) => llamaBinaryWanted(n, p, a, o);
  assert.equal(keep('@node-llama-cpp/linux-x64', 'linux', 'x64'), true);
  assert.equal(keep('@node-llama-cpp/linux-x64-cuda', 'linux', 'x64'), true);
  assert.equal(keep('@node-llama-cpp/linux-x64-cuda-ext', 'linux', 'x64'), false);
  assert.equal(keep('@node-llama-cpp/linux-x64-cuda-ext', 'linux', 'x64', { gpu: ['cuda'], cudaExt: true }), true);
  assert.equal(keep('@node-llama-cpp/linux-x64-vulkan', 'linux', 'x64'), false);
  assert.equal(keep('@node-llama-cpp/linux-x64-vulkan', 'linux', 'x64', { gpu: ['vulkan'] }), true);
  assert.equal(keep('@node-llama-cpp/linux-arm64', 'linux', 'x64'), false);
  assert.equal(keep('@node-llama-cpp/win-x64-cuda', 'linux', 'x64'), false);
  assert.equal(keep('@node-llama-cpp/mac-arm64-metal', 'darwin', 'arm64', { gpu: [] }), true);
  assert.equal(keep('@node-llama-cpp/win-x64-cuda', 'win32', 'x64'), true);
  assert.equal(keep('zod', 'linux', 'x64'), true);
});

test('the staged app has its own package.json and a node_modules without build tools or other platforms', async () => {
  const outdir = join(tmp, 'staged', 'app');
  const lines: string[] = [];
  const r = await stageDesktop({ outdir, gpu: [], rebuild: false, log: (l) => lines.push(l) });
  const manifest = JSON.parse(readFileSync(join(outdir, 'package.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(manifest.main, 'main.mjs');
  assert.equal(manifest.type, 'module');
  for (const k of ['author', 'homepage', 'desktopName', 'version']) assert.ok(manifest[k], `app package.json has ${k}`);
  const deps = Object.keys(manifest.dependencies as object);
  for (const gone of LEFT_OUT) {
    assert.ok(!deps.includes(gone), `${gone} is not an app dependency`);
    assert.ok(!existsSync(join(outdir, 'node_modules', gone)), `${gone} is not copied`);
  }
  assert.deepEqual(readdirSync(join(outdir, 'node_modules', '@node-llama-cpp')), [`${process.platform === 'linux' ? 'linux' : process.platform}-${process.arch}`]);
  assert.ok(!existsSync(join(outdir, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle')), 'llama.cpp sources are left out');
  for (const f of ['main.mjs', 'backendProcess.mjs', 'parseThread.mjs', 'draftThread.mjs', 'renderer/index.html', 'icons/tray-green.png', 'icons/trayTemplate.png']) assert.ok(existsSync(join(outdir, f)), f);
  // Not rebuilt: the check reports better-sqlite3 with Node's ABI, and the size is printed.
  assert.equal(r.abi, 150);
  assert.ok(r.problems.some((p) => /^better-sqlite3 .* native ABI 115/.test(p)), r.problems.join('\n'));
  assert.ok(lines.some((l) => /^app contents: \d+\.\d MB \(of which node-llama-cpp binaries \d+\.\d MB\)/.test(l)), lines.join('\n'));
  assert.ok(r.size < 120 * 1024 * 1024, `a CPU-only app is under 120 MB (${r.size} bytes)`);
});

function pngInfo(buf: Buffer): { width: number; height: number; rgba: Buffer } {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('latin1');
    const data = buf.subarray(off + 8, off + 8 + len);
    assert.equal(buf.readUInt32BE(off + 8 + len), crc32(buf.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') [width, height] = [data.readUInt32BE(0), data.readUInt32BE(4)];
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) raw.copy(rgba, y * width * 4, y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1));
  return { width, height, rgba };
}

test('the icons are made from the one drawing, reproducibly, as valid PNG, ICO and ICNS', () => {
  const out = join(tmp, 'icons');
  const files = makeIcons({ outDir: out });
  // The committed icons are what the script makes.
  for (const f of files) {
    const rel = f.slice(out.length + 1);
    assert.ok(readFileSync(f).equals(readFileSync(join(root, 'build', 'resources', rel))), `build/resources/${rel} is up to date (npm run icons)`);
  }
  for (const s of [16, 24, 32, 48, 256, 1024]) assert.deepEqual(({ ...pngInfo(readFileSync(join(out, 'icons', `${s}x${s}.png`))), rgba: 0 }), { width: s, height: s, rgba: 0 });
  for (const state of ['grey', 'blue', 'green', 'amber', 'red']) {
    assert.equal(pngInfo(readFileSync(join(out, 'tray', `tray-${state}.png`))).width, 16);
    assert.equal(pngInfo(readFileSync(join(out, 'tray', `tray-${state}@2x.png`))).width, 32);
    assert.equal(pngInfo(readFileSync(join(out, 'tray', `tray-${state}-48@2x.png`))).width, 96);
  }
  // The states differ where the status dot is.
  const green = pngInfo(readFileSync(join(out, 'tray', 'tray-green-48.png'))).rgba;
  const red = pngInfo(readFileSync(join(out, 'tray', 'tray-red-48.png'))).rgba;
  const at = (b: Buffer, x: number, y: number) => [...b.subarray((y * 48 + x) * 4, (y * 48 + x) * 4 + 4)];
  assert.deepEqual(at(green, 37, 37), [0x2e, 0xa0, 0x43, 255]);
  assert.deepEqual(at(red, 37, 37), [0xcf, 0x22, 0x2e, 255]);
  // Template image: black with alpha only.
  const tpl = pngInfo(readFileSync(join(out, 'tray', 'trayTemplate@2x.png'))).rgba;
  for (let i = 0; i < tpl.length; i += 4) assert.deepEqual([tpl[i], tpl[i + 1], tpl[i + 2]], [0, 0, 0]);
  assert.ok(tpl.some((v, i) => i % 4 === 3 && v === 255) && tpl.some((v, i) => i % 4 === 3 && v === 0));

  const ico = readFileSync(join(out, 'icon.ico'));
  assert.deepEqual([ico.readUInt16LE(0), ico.readUInt16LE(2), ico.readUInt16LE(4)], [0, 1, 7]);
  for (let i = 0; i < 7; i++) {
    const e = 6 + i * 16;
    const png = ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8));
    assert.equal(pngInfo(png).width, ico[e] === 0 ? 256 : ico[e]);
  }
  const icns = readFileSync(join(out, 'icon.icns'));
  assert.equal(icns.subarray(0, 4).toString('latin1'), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
  let off = 8;
  for (const [type, size] of ICNS_TYPES) {
    assert.equal(icns.subarray(off, off + 4).toString('latin1'), type);
    const len = icns.readUInt32BE(off + 4);
    assert.equal(pngInfo(icns.subarray(off + 8, off + len)).width, size, `${type} is ${size} px`);
    off += len;
  }
  assert.equal(off, icns.length);
});

test("electron-builder.yml is valid for electron-builder's schema and packs the staged app with fuses set", async () => {
  const { default: YAML } = await import('yaml');
  const { Ajv } = await import('ajv');
  interface BuilderConfig {
    electronVersion: string;
    directories: { app: string };
    npmRebuild: boolean;
    electronFuses: Record<string, boolean>;
    asarUnpack: string[];
    linux: { maintainer: string; icon: string };
    win: { icon: string };
    mac: { icon: string };
  }
  const config = YAML.parse(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
  const schema = JSON.parse(readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8')) as object;
  const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  assert.ok(validate(config), JSON.stringify(validate.errors?.slice(0, 5)));
  assert.equal(config.electronVersion, pkg.devDependencies.electron, 'the Electron the native modules were rebuilt for');
  assert.equal(config.directories.app, 'dist/app', 'the staged app with its own package.json and node_modules');
  assert.equal(config.npmRebuild, false, 'no second rebuild that could delete a checked build');
  assert.deepEqual(config.electronFuses, {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    grantFileProtocolExtraPrivileges: false,
  });
  assert.match(config.linux.maintainer, /^.+ <.+@.+>$/, 'deb needs a maintainer');
  for (const native of ['better-sqlite3', 'keytar', 'node-llama-cpp', '@node-llama-cpp']) assert.ok(config.asarUnpack.includes(`node_modules/${native}/**`), `${native} is unpacked`);
  for (const icon of [config.win.icon, config.mac.icon, join(config.linux.icon, '512x512.png')]) assert.ok(existsSync(join(root, icon)), `${icon} exists`);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { author?: unknown; homepage?: unknown; desktopName?: unknown; devDependencies: Record<string, string>; scripts: Record<string, string> };
  for (const k of ['author', 'homepage', 'desktopName'] as const) assert.ok(manifest[k], `package.json has ${k}`);
  assert.equal(manifest.devDependencies['electron-builder'], '26.17.0', 'electron-builder is pinned');
  assert.equal(manifest.scripts.dist, 'node build/dist.mjs');
});
