// Fails loudly when a native module did not build or load after install.
// `node build/check-native.mjs`: the root node_modules (Node's ABI), by loading each module.
// `node build/check-native.mjs --desktop [dir]`: the desktop app's own tree (dist/app by default),
// by reading the native ABI of every addon in it and comparing it with the pinned Electron's.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAddonTree, electronAbi } from './native-abi.mjs';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const problems = [];

const desktopIndex = process.argv.indexOf('--desktop');
if (desktopIndex !== -1) {
  const appDir = resolve(process.argv[desktopIndex + 1] ?? join(root, 'dist', 'app'));
  const electronVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies.electron;
  const abi = electronAbi(electronVersion, root);
  const { addons, problems: mismatches } = checkAddonTree(join(appDir, 'node_modules'), { abi, runtime: `Electron ${electronVersion}` });
  for (const a of addons) if (a.ok && a.kind !== 'none') console.log(`native (desktop): ${a.pkg} ok (${a.kind === 'napi' ? 'N-API' : `ABI ${a.abi}`})`);
  if (addons.length === 0 && mismatches.length === 0) mismatches.push(`${appDir}/node_modules holds no native addon at all; better-sqlite3's build is missing (run "npm run stage:desktop")`);
  if (mismatches.length) {
    for (const p of mismatches) console.error(`native (desktop): ${p}`);
    console.error(`native (desktop): the desktop app cannot run under Electron ${electronVersion} (ABI ${abi}); the headless backend ("spec2tickets serve") is not affected.`);
    process.exit(1);
  }
  process.exit(0);
}

try {
  const Database = require('better-sqlite3');
  new Database(':memory:').prepare('select 1 as one').get();
  console.log('native: better-sqlite3 ok');
} catch (e) {
  problems.push(`better-sqlite3 did not load: ${e.message}`);
}
try {
  require('keytar');
  console.log('native: keytar ok');
} catch (e) {
  problems.push(`keytar did not load (install libsecret-1-dev, then npm rebuild keytar): ${e.message}`);
}
try {
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ build: 'never', gpu: false, logLevel: 'error' });
  console.log(`native: node-llama-cpp ok (${llama.buildType} binary, CPU)`);
  await llama.dispose();
} catch (e) {
  problems.push(`node-llama-cpp has no usable prebuilt binary: ${e.message}`);
}
if (problems.length) {
  for (const p of problems) console.error(`native: ${p}`);
  process.exit(1);
}
