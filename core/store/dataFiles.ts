// The data folder and the database files at rest: the folder is private to the user running the
// backend (0700), the database and its WAL/shared-memory files too (0600; SQLite gives the WAL and
// -shm files the mode of the database file), and a database that cannot be used is reported with
// the file's path and what to do instead of SQLite's bare "file is not a database".

import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tightenMode } from '../config/privateFiles.ts';

export const DATABASE_FILE = 'spec2tickets.db';

export class DatabaseOpenError extends Error {
  readonly code = 'database_unusable';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'DatabaseOpenError';
  }
}

/** Creates the data folder (0700) and the database file (0600) if needed; tightens existing ones. */
export function prepareDataFolder(dataDir: string): string {
  const existed = existsSync(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const file = join(dataDir, DATABASE_FILE);
  // A folder chosen by the admin is tightened once it is ours (it holds the database), never a shared
  // one such as /tmp (sticky bit) that happens to be named.
  if ((!existed || existsSync(file)) && (statSync(dataDir).mode & 0o1000) === 0) tightenMode(dataDir, PRIVATE_DIR_MODE);
  if (!existsSync(file)) {
    try {
      closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
    } catch (err) {
      throw unusable(file, err);
    }
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`]) tightenMode(f, PRIVATE_FILE_MODE);
  return file;
}

/** Opens the database and runs `setup` (pragmas, migrations); failures name the file and the way out. */
export function openDatabase(file: string, setup: (db: Database.Database) => void): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    setup(db);
    return db;
  } catch (err) {
    db?.close();
    throw unusable(file, err);
  }
}

function unusable(file: string, err: unknown): DatabaseOpenError {
  const code = (err as { code?: string }).code ?? '';
  const detail = (err as Error).message ?? String(err);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new DatabaseOpenError(
      file,
      `${file} is not a Spec2Tickets database (SQLite says: ${detail}). Move it away and start again to begin with an empty database, or restore a backup over it; point SPEC2TICKETS_DATA_DIR elsewhere to keep it untouched.`,
    );
  }
  if (code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new DatabaseOpenError(
      file,
      `${file} cannot be written (${detail}). Give the user running Spec2Tickets write access to the file and its folder (the folder holds the -wal and -shm files too), or set SPEC2TICKETS_DATA_DIR to a writable folder.`,
    );
  }
  return new DatabaseOpenError(file, `${file} could not be opened as the Spec2Tickets database: ${detail}. Check the file and its folder, or set SPEC2TICKETS_DATA_DIR to another folder.`);
}
