// Idle memory of the headless backend with the drafter (no model), and how quickly the CLI starts
// for `generate`: both depend on what is imported at start, so node-llama-cpp and express must only
// load when they are used. Runs `spec2tickets serve` in a child with a temp data folder and reads
// VmRSS from /proc after the admin address is printed (and again after a short settle).

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = join(root, 'core/cli/main.ts');

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

function loadedModules(pid: number): { llama: boolean } {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  return { llama: /llama-addon|node-llama-cpp/.test(maps) };
}

async function serveIdle(): Promise<{ startMs: number; rss: number; rssSettled: number; llamaMapped: boolean }> {
  const dataDir = mkdtempSync(join(tmpdir(), 's2t-bench-serve-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', entry, 'serve', '--public-port', '0', '--admin-port', '0', '--log-level', 'warn'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: dataDir, SPEC2TICKETS_DATA_DIR: dataDir, SPEC2TICKETS_NO_KEYCHAIN: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  try {
    const deadline = Date.now() + 60_000;
    while (!/Admin .*: \S+/.test(out)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not start: ${err}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const startMs = performance.now() - started;
    const rss = rssMiB(child.pid!);
    await new Promise((r) => setTimeout(r, 2000));
    return { startMs, rss, rssSettled: rssMiB(child.pid!), llamaMapped: loadedModules(child.pid!).llama };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function cliStartMs(args: string[], runs = 3): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`spec2tickets ${args.join(' ')} failed: ${r.stderr}`);
    times.push(performance.now() - t);
  }
  return Math.min(...times);
}

const serve = await serveIdle();
console.log(`serve (drafter, idle): start ${serve.startMs.toFixed(0)} ms; RSS ${serve.rss.toFixed(1)} MiB after start, ${serve.rssSettled.toFixed(1)} MiB after 2 s; node-llama-cpp mapped: ${serve.llamaMapped ? 'yes' : 'no'}`);
console.log(`cli start: generate --help ${cliStartMs(['generate', '--help']).toFixed(0)} ms (best of 3)`);
