// Runs every benchmark under bench/ (files named *.bench.ts) one after another and prints their figures.
// A failing benchmark does not stop the others: its figures are lost, the rest still matter. The run
// exits non-zero at the end, naming each one that failed.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const dir = join(root, 'bench');
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}`);
  process.exit(1);
}
const failures = [];
for (const f of files) {
  console.log(`\n=== ${f} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(dir, f)], { cwd: root, stdio: 'inherit' });
  if (r.error) failures.push(`${f}: could not start (${r.error.message})`);
  else if (r.signal) failures.push(`${f}: killed by ${r.signal}`);
  else if (r.status !== 0) failures.push(`${f}: exit code ${r.status}`);
}
if (failures.length > 0) {
  console.error(`\n${failures.length} of ${files.length} benchmarks failed:\n${failures.map((x) => `  ${x}`).join('\n')}`);
  process.exit(1);
}
