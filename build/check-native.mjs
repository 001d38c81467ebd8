// Fails loudly when a native module did not build or load after install.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const problems = [];

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
