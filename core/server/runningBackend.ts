// A record in the data folder that says a backend is serving it (`backend.json`: process id, the
// listeners' base URLs, start time — never the session token). Commands that write to the data
// folder on their own (`spec2tickets keys`) read it to say whether a running backend will see what
// they wrote: a key made in another user's data folder is otherwise silently useless.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RUNNING_BACKEND_FILE = 'backend.json';

export interface RunningBackend {
  pid: number;
  publicUrl: string;
  adminBaseUrl: string;
  startedAt: string;
}

/** Writes the record (mode 0600); returns the function that removes it again (only if it is still ours). */
export function recordRunningBackend(dataDir: string, info: Omit<RunningBackend, 'pid' | 'startedAt'>, pid = process.pid): () => void {
  const file = join(dataDir, RUNNING_BACKEND_FILE);
  const record: RunningBackend = { pid, ...info, startedAt: new Date().toISOString() };
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  return () => {
    if (readRunningBackend(dataDir, () => true)?.pid === pid) rmSync(file, { force: true });
  };
}

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The backend serving `dataDir`, or undefined when none is (no record, an unreadable one, or its process is gone). */
export function readRunningBackend(dataDir: string, alive: (pid: number) => boolean = processAlive): RunningBackend | undefined {
  let record: Partial<RunningBackend>;
  try {
    record = JSON.parse(readFileSync(join(dataDir, RUNNING_BACKEND_FILE), 'utf8')) as Partial<RunningBackend>;
  } catch {
    return undefined;
  }
  if (typeof record.pid !== 'number' || typeof record.publicUrl !== 'string' || typeof record.adminBaseUrl !== 'string' || typeof record.startedAt !== 'string') return undefined;
  return alive(record.pid) ? (record as RunningBackend) : undefined;
}
