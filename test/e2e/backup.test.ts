// `spec2tickets backup` copies the database while the backend holds it open in WAL mode: the copy
// has what was written but not yet checkpointed into the .db file, and restoring it brings it back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteJobStore } from '../../core/store/sqliteStore.ts';

const entry = fileURLToPath(new URL('../../core/cli/main.ts', import.meta.url));

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', entry, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });
}

test('a backup taken while the store is open holds every job, and restoring it brings them back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-backup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const data = join(dir, 'data');
  const live = new SqliteJobStore({ dataDir: data });
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await live.createOrFindOpenJob({ pageId: `${100 + i}`, siteUrl: 'https://acme.atlassian.net', pageVersion: null, requestedBy: 'acc' }, 'test')).job.id);
  assert.ok(statSync(join(data, 'spec2tickets.db-wal')).size > 0, 'recent writes sit in the WAL, not yet in the .db file');

  const env = { SPEC2TICKETS_DATA_DIR: data, HOME: dir };
  const target = join(dir, 'backup.db');
  const r = cli(['backup', target], env);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Backed up .*spec2tickets\.db to .*backup\.db \(3 jobs, .* MiB; integrity ok\)/);
  assert.equal(statSync(target).mode & 0o777, 0o600, 'the backup is private to its owner');

  const again = cli(['backup', target], env);
  assert.equal(again.status, 2, 'an existing file is not replaced without --force');
  assert.match(again.stderr, /already exists; choose another name or add --force/);
  assert.equal(cli(['backup', join(data, 'spec2tickets.db')], env).status, 2, 'never over the live database');
  const empty = join(dir, 'nothing');
  const missing = cli(['backup', join(dir, 'x.db')], { SPEC2TICKETS_DATA_DIR: empty, HOME: dir });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /There is no database to back up at .*nothing\/spec2tickets\.db/);

  // Lose the live data folder, restore the backup while nothing holds it open.
  live.close();
  rmSync(data, { recursive: true, force: true });
  const restored = join(dir, 'restored');
  mkdirSync(restored);
  copyFileSync(target, join(restored, 'spec2tickets.db'));
  const store = new SqliteJobStore({ dataDir: restored });
  t.after(() => store.close());
  for (const id of ids) assert.equal((await store.getJob(id))?.requestedBy, 'acc');
});
