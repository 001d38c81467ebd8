// Runs the drafter evaluation (test/eval/main.ts) through tsx and passes its exit code on: it fails
// only when a corpus page has a requirement id that no item traces.
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const res = spawnSync(process.execPath, ['--import', 'tsx', 'test/eval/main.ts', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(res.status ?? 1);
