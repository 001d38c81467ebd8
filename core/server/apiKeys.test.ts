import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteJobStore } from '../store/sqliteStore.ts';
import { ApiKeyService } from './apiKeys.ts';
import { TokenBuckets } from './rateLimit.ts';

test('an API key is shown once, stored only as a hash, and verifies until revoked', async (t) => {
  const store = new SqliteJobStore({ dataDir: ':memory:' });
  t.after(() => store.close());
  const keys = new ApiKeyService({ store });
  const issued = await keys.create('forge-prod', 'admin');
  assert.match(issued.key, /^s2t_[A-Za-z0-9_-]{40,}$/);
  const dump = JSON.stringify(store.db.prepare('SELECT * FROM api_keys').all());
  assert.ok(!dump.includes(issued.key), 'the full key must not be stored');
  assert.ok(!JSON.stringify(await keys.list()).includes('hash'));
  assert.equal((await keys.verify(issued.key)).ok, true);
  assert.deepEqual(await keys.verify(issued.key.slice(0, -1) + (issued.key.endsWith('A') ? 'B' : 'A')), { ok: false, reason: 'unknown' });
  assert.deepEqual(await keys.verify('Bearer nonsense'), { ok: false, reason: 'malformed' });
  assert.equal(await keys.revoke(issued.id, 'admin'), true);
  assert.deepEqual(await keys.verify(issued.key), { ok: false, reason: 'revoked' });
});

test('rotating a key revokes the old one and issues a new one with the same name', async (t) => {
  const store = new SqliteJobStore({ dataDir: ':memory:' });
  t.after(() => store.close());
  const keys = new ApiKeyService({ store });
  const old = await keys.create('forge', 'admin');
  const next = await keys.rotate(old.id, 'admin');
  assert.ok(next);
  assert.equal(next.name, 'forge');
  assert.equal((await keys.verify(old.key)).ok, false);
  assert.equal((await keys.verify(next.key)).ok, true);
  assert.equal(await keys.rotate(old.id, 'admin'), undefined);
});

test('the token bucket allows the burst, then answers with whole seconds to wait, and refills', () => {
  let now = 0;
  const buckets = new TokenBuckets({ ratePerMinute: 60, burst: 3, now: () => now });
  assert.deepEqual([buckets.take('k'), buckets.take('k'), buckets.take('k')], [0, 0, 0]);
  assert.equal(buckets.take('k'), 1);
  assert.equal(buckets.take('other'), 0, 'buckets are per key');
  now += 1000;
  assert.equal(buckets.take('k'), 0);
  assert.equal(buckets.take('k'), 1);
});
