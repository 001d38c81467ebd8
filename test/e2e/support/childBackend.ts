// Runs the backend as a child process (`spec2tickets serve` through the product CLI), the way it
// runs in production, so a test can kill it with SIGKILL and start it again on the same data folder.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JobStatusView } from '../../../core/server/jobView.ts';

const entry = fileURLToPath(new URL('../../../core/cli/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface ChildBackend {
  child: ChildProcess;
  publicUrl: string;
  adminUrl: string;
  adminBaseUrl: string;
  token: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function backendEnv(o: { dataDir: string; siteUrl: string; email: string; apiToken: string; extra?: Record<string, string> }): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: o.dataDir,
    NODE_ENV: 'test',
    SPEC2TICKETS_DATA_DIR: o.dataDir,
    SPEC2TICKETS_SITE_URL: o.siteUrl,
    SPEC2TICKETS_ATLASSIAN_EMAIL: o.email,
    SPEC2TICKETS_ATLASSIAN_API_TOKEN: o.apiToken,
    SPEC2TICKETS_JIRA_PROJECT: 'PAY',
    SPEC2TICKETS_NO_KEYCHAIN: '1',
    // The tests poll far faster than the Forge macro does; the per-key limit has tests of its own.
    SPEC2TICKETS_RATE_LIMIT_PER_MINUTE: '100000',
    SPEC2TICKETS_RATE_LIMIT_BURST: '10000',
    ...o.extra,
  };
}

/** Runs `keys create <name> --json` and returns the new key. */
export function createKeyViaCli(env: NodeJS.ProcessEnv, name: string): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', entry, 'keys', 'create', name, '--json'], { env, cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`keys create failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { key: string }).key;
}

export async function startChildBackend(env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<ChildBackend> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry, 'serve', '--public-port', '0', '--admin-port', '0', '--log-level', 'warn'], {
    env,
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!/Admin .*: (\S+)/.test(out)) {
    if (child.exitCode !== null) throw new Error(`backend exited early (${child.exitCode}): ${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`backend did not start in 60 s: ${out} ${err}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const publicUrl = /Public API for Forge: (\S+)\/v1/.exec(out)![1]!;
  const adminUrl = /Admin .*: (\S+)/.exec(out)![1]!;
  const u = new URL(adminUrl);
  return { child, publicUrl, adminUrl, adminBaseUrl: u.origin, token: u.searchParams.get('token')!, stdout: () => out, stderr: () => err, exited };
}

/** Polls the child's public job status with the API key until `until` holds. */
export async function pollJob(b: ChildBackend, key: string, jobId: string, until: (j: JobStatusView) => boolean, timeoutMs = 60_000): Promise<JobStatusView> {
  const end = Date.now() + timeoutMs;
  let last: JobStatusView | undefined;
  while (Date.now() < end) {
    last = (await (await fetch(`${b.publicUrl}/v1/jobs/${jobId}`, { headers: { authorization: `Bearer ${key}` } })).json()) as JobStatusView;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job did not reach the expected state; last: ${JSON.stringify(last)}`);
}

/** A request to the child's admin listener with its session token: GET without a body, else POST (or `method`) with JSON. */
export function adminFetch(b: ChildBackend, path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${b.adminBaseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}
