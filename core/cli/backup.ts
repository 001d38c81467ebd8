// `spec2tickets backup <file>`: a consistent copy of the backend's database while it runs. SQLite in
// WAL mode keeps recent writes in spec2tickets.db-wal, so copying the .db file alone can lose them;
// SQLite's online backup API copies the database as one snapshot, pages and WAL together. Secrets
// are not in the database (they live in the OS keychain or the environment), so a backup is safe to
// store like any other business data — but it holds page snapshots: keep it private (mode 0600).

import { existsSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadServeConfig } from './serve.ts';
import { CliInputError } from './generate.ts';

export const DATABASE_FILE = 'spec2tickets.db';

export interface BackupFlags {
  dataDir?: string;
  force?: boolean;
}

export interface BackupResult {
  source: string;
  target: string;
  jobs: number;
  bytes: number;
}

export async function runBackup(target: string, flags: BackupFlags, env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<BackupResult> {
  const { config } = loadServeConfig({ dataDir: flags.dataDir }, env, cwd);
  const source = join(config.dataDir, DATABASE_FILE);
  const out = resolve(cwd, target);
  if (!existsSync(source)) throw new CliInputError(`There is no database to back up at ${source} (is --data-dir or SPEC2TICKETS_DATA_DIR the backend's data folder?).`);
  if (out === source) throw new CliInputError('The backup must not overwrite the live database; give another file name.');
  if (existsSync(out) && !flags.force) throw new CliInputError(`${out} already exists; choose another name or add --force to replace it.`);
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(out);
  } catch (err) {
    throw new CliInputError(`The backup to ${out} failed: ${(err as Error).message}`);
  } finally {
    db.close();
  }
  await chmod(out, 0o600);
  const copy = new Database(out, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new CliInputError(`The backup at ${out} failed SQLite's integrity check: ${String(check)}`);
    const jobs = (copy.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n;
    const pages = copy.pragma('page_count', { simple: true }) as number;
    const size = copy.pragma('page_size', { simple: true }) as number;
    return { source, target: out, jobs, bytes: pages * size };
  } finally {
    copy.close();
  }
}

export function registerBackup(program: Command): void {
  program
    .command('backup <file>')
    .description('write a consistent copy of the database (safe while the backend runs); restore by copying it back while the backend is stopped')
    .option('--data-dir <dir>', 'data folder of the backend')
    .option('--force', 'replace the file if it exists')
    .action(async (file: string, flags: BackupFlags) => {
      const r = await runBackup(file, flags, process.env);
      process.stdout.write(`Backed up ${r.source} to ${r.target} (${r.jobs} jobs, ${(r.bytes / 1024 / 1024).toFixed(1)} MiB; integrity ok).\n`);
    });
}
