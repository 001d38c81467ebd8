// The data folder and database files at rest: private modes, and errors that name the file and what
// to do when the database is not SQLite or cannot be written.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteJobStore } from './sqliteStore.ts';
import { DatabaseOpenError, DATABASE_FILE } from './dataFiles.ts';
import { loadConfig } from '../config/config.ts';

const mode = (p: string) => statSync(p).mode & 0o777;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 's2t-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// The backend runs on Linux and macOS workstations, where these modes are what keeps data private.
describe('data at rest', () => {
  test('a new data folder is 0700 and the database, WAL and shared-memory files are 0600', async (t) => {
    const dataDir = join(tempDir(t), 'data');
    const old = process.umask(0o022);
    let store: SqliteJobStore;
    try {
      store = new SqliteJobStore({ dataDir });
    } finally {
      process.umask(old);
    }
    t.after(() => store.close());
    await store.audit({ jobId: null, actor: 'test', action: 'write', details: {} });
    assert.equal(mode(dataDir), 0o700);
    for (const f of [DATABASE_FILE, `${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`]) {
      assert.ok(existsSync(join(dataDir, f)), f);
      assert.equal(mode(join(dataDir, f)), 0o600, f);
    }
  });

  test('an existing data folder and database left readable by others are tightened on start', (t) => {
    const dataDir = join(tempDir(t), 'data');
    new SqliteJobStore({ dataDir }).close();
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, DATABASE_FILE), 0o644);
    new SqliteJobStore({ dataDir }).close();
    assert.equal(mode(dataDir), 0o700);
    assert.equal(mode(join(dataDir, DATABASE_FILE)), 0o600);
  });

  test('a .env file read for settings becomes 0600', (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, '.env'), 'SPEC2TICKETS_ATLASSIAN_API_TOKEN=secret\n', { mode: 0o644 });
    chmodSync(join(dir, '.env'), 0o644);
    loadConfig({ cwd: dir, home: dir, env: {} });
    assert.equal(mode(join(dir, '.env')), 0o600);
  });

  test('a database file that is not SQLite is named, with what to do', (t) => {
    const dataDir = tempDir(t);
    writeFileSync(join(dataDir, DATABASE_FILE), 'this is a text file, not a database '.repeat(200));
    assert.throws(
      () => new SqliteJobStore({ dataDir }),
      (err: unknown) => {
        assert.ok(err instanceof DatabaseOpenError, String(err));
        assert.equal(err.file, join(dataDir, DATABASE_FILE));
        assert.match(err.message, new RegExp(`^${join(dataDir, DATABASE_FILE).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a Spec2Tickets database`));
        assert.match(err.message, /Move it away|restore a backup/);
        return true;
      },
    );
  });

  test('a database that cannot be opened for writing is named, with what to do', (t) => {
    const expectUnwritable = (dataDir: string) =>
      assert.throws(
        () => new SqliteJobStore({ dataDir }),
        (err: unknown) => {
          assert.ok(err instanceof DatabaseOpenError, String(err));
          assert.ok(err.message.startsWith(`${join(dataDir, DATABASE_FILE)} cannot be written`), err.message);
          assert.match(err.message, /write access .* or set SPEC2TICKETS_DATA_DIR to a writable folder/);
          return true;
        },
      );
    // Something in the database's place that SQLite cannot open (fails for root too).
    const taken = tempDir(t);
    mkdirSync(join(taken, DATABASE_FILE));
    expectUnwritable(taken);
    // A read-only database file, as an ordinary user meets it (root ignores file modes).
    if (process.getuid?.() !== 0) {
      const dataDir = join(tempDir(t), 'data');
      new SqliteJobStore({ dataDir }).close();
      rmSync(join(dataDir, `${DATABASE_FILE}-wal`), { force: true });
      rmSync(join(dataDir, `${DATABASE_FILE}-shm`), { force: true });
      chmodSync(join(dataDir, DATABASE_FILE), 0o400);
      expectUnwritable(dataDir);
    }
  });
});
