// Which runtime a native Node module (.node file) was built for, read from the file itself.
// An addon exports one registration symbol: `napi_register_module_v1` (N-API — loads in Node and
// Electron alike) or `node_register_module_vNNN` (built against one runtime's headers; NNN is that
// runtime's NODE_MODULE_VERSION: 115 for Node 20, 150 for Electron 45). The symbol name is stored
// as text in the export table of ELF, Mach-O (with a leading underscore) and PE files alike, so
// reading the name out of the bytes works on every OS without nm/dumpbin. A .node file with
// neither symbol is a shared library that is not a Node addon (a SQLite extension, say).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';

const NAPI = Buffer.from('napi_register_module_v1');
const NODE = Buffer.from('node_register_module_v');

/**
 * The kind of one addon: `{ kind: 'napi' }`, `{ kind: 'abi', abi: 115 }`, or `{ kind: 'none' }`
 * when the file registers no Node module.
 * @param {string} file
 * @returns {{ kind: 'napi' } | { kind: 'abi', abi: number } | { kind: 'none' }}
 */
export function readAddonAbi(file) {
  const bytes = readFileSync(file);
  const abis = new Set();
  for (let i = bytes.indexOf(NODE); i !== -1; i = bytes.indexOf(NODE, i + 1)) {
    let j = i + NODE.length;
    let digits = '';
    while (j < bytes.length && bytes[j] >= 0x30 && bytes[j] <= 0x39 && digits.length < 4) digits += String.fromCharCode(bytes[j++]);
    // The symbol ends at the name's terminating NUL; anything else is unrelated text.
    if (digits && bytes[j] === 0) abis.add(Number(digits));
  }
  if (abis.size > 0) return { kind: 'abi', abi: Math.max(...abis) };
  if (bytes.includes(NAPI)) return { kind: 'napi' };
  return { kind: 'none' };
}

/**
 * Every .node file under a node_modules folder (following no symlinks out of it).
 * @param {string} dir
 * @returns {string[]}
 */
export function findAddons(dir, gypPackages = []) {
  const out = [];
  const walk = (d, depth) => {
    if (depth > 40) return;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && e.name.endsWith('.node')) out.push(p);
      else if (e.isFile() && e.name === 'binding.gyp') gypPackages.push(d);
    }
  };
  walk(dir, 0);
  return out.sort();
}

/**
 * NODE_MODULE_VERSION of an Electron version, as node-abi reports it; falls back to the
 * `abi_version` file the electron package ships.
 * @param {string} electronVersion e.g. "45.5.0"
 * @param {string} root folder whose node_modules holds node-abi / electron
 * @returns {number}
 */
export function electronAbi(electronVersion, root) {
  const require = createRequire(join(root, 'package.json'));
  try {
    // node-abi is a dependency of prebuild-install (better-sqlite3's installer), hence not hoisted everywhere.
    const nodeAbi = require(require.resolve('node-abi', { paths: [root, join(root, 'node_modules', 'prebuild-install')] }));
    return Number(nodeAbi.getAbi(electronVersion, 'electron'));
  } catch {
    const file = join(root, 'node_modules', 'electron', 'abi_version');
    const pkg = join(root, 'node_modules', 'electron', 'package.json');
    if (existsSync(file) && existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).version === electronVersion) return Number(readFileSync(file, 'utf8').trim());
    throw new Error(`cannot tell the native ABI of Electron ${electronVersion}: neither node-abi nor node_modules/electron/abi_version is available`);
  }
}

/** The package a file belongs to ("better-sqlite3", "@node-llama-cpp/linux-x64"). */
function packageOf(file, nodeModules) {
  const parts = relative(nodeModules, file).split(sep);
  const i = parts.lastIndexOf('node_modules');
  const rest = i === -1 ? parts : parts.slice(i + 1);
  return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
}

/**
 * Checks every addon under nodeModules against the runtime's ABI.
 * @param {string} nodeModules
 * @param {{ abi: number, runtime: string }} target e.g. { abi: 150, runtime: 'Electron 45.5.0' }
 * @returns {{ addons: Array<{ file: string, pkg: string, kind: string, abi?: number, ok: boolean }>, problems: string[] }}
 */
export function checkAddonTree(nodeModules, target) {
  if (!existsSync(nodeModules) || !statSync(nodeModules).isDirectory()) {
    return { addons: [], problems: [`${nodeModules} does not exist: the desktop dependency tree was not staged (run "npm run stage:desktop")`] };
  }
  const gypPackages = [];
  const addons = findAddons(nodeModules, gypPackages).map((file) => {
    const r = readAddonAbi(file);
    const ok = r.kind !== 'abi' || r.abi === target.abi;
    return { file, pkg: packageOf(file, nodeModules), kind: r.kind, ...(r.kind === 'abi' ? { abi: r.abi } : {}), ok };
  });
  const problems = addons
    .filter((a) => !a.ok)
    .map(
      (a) =>
        `${a.pkg} (${relative(nodeModules, a.file)}) is built for native ABI ${a.abi}${a.abi === 115 ? ' (Node 20)' : ''}, but ${target.runtime} needs ${target.abi}; ` +
        `rebuild it for Electron (npm run stage:desktop on a machine that can download Electron's headers)`,
    );
  // A package compiled from binding.gyp must have its addon: a failed rebuild deletes build/,
  // which would otherwise look like "nothing to check".
  const withAddon = new Set(addons.filter((a) => a.kind !== 'none').map((a) => a.pkg));
  for (const dir of gypPackages) {
    const pkg = packageOf(join(dir, 'package.json'), nodeModules);
    if (!withAddon.has(pkg)) problems.push(`${pkg} has no native addon (${relative(nodeModules, dir)}/build is missing): its build or its rebuild for ${target.runtime} failed`);
  }
  return { addons, problems };
}
