import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteJobStore } from '../store/sqliteStore.ts';
import { ApiKeyService, KEY_LENGTH } from './apiKeys.ts';
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

test('a key cut short while copying is "incomplete", not "not a Spec2Tickets key"', async (t) => {
  const store = new SqliteJobStore({ dataDir: ':memory:' });
  t.after(() => store.close());
  const keys = new ApiKeyService({ store });
  const issued = await keys.create('forge', 'admin');
  assert.equal(issued.key.length, KEY_LENGTH);
  assert.deepEqual(await keys.verify(issued.key.slice(0, 20)), { ok: false, reason: 'incomplete' });
  assert.deepEqual(await keys.verify(issued.key.slice(0, -1)), { ok: false, reason: 'incomplete' });
  assert.deepEqual(await keys.verify('sk-live-0123456789abcdef0123456789abcdef0123456'), { ok: false, reason: 'malformed' });
});

test('rotating keeps the old key valid for the grace period (24 h unless chosen), then only the new one works', async (t) => {
  const store = new SqliteJobStore({ dataDir: ':memory:' });
  t.after(() => store.close());
  let now = Date.parse('2026-12-01T10:00:00Z');
  const keys = new ApiKeyService({ store, now: () => new Date(now) });
  const old = await keys.create('forge', 'admin');
  const next = await keys.rotate(old.id, 'admin');
  assert.ok(next);
  assert.equal((await keys.verify(old.key)).ok, true, 'the old key still works right after rotating');
  assert.equal((await keys.list()).find((k) => k.id === old.id)?.revokedAt, '2026-12-02T10:00:00.000Z');
  now += 24 * 3_600_000 - 1000;
  assert.equal((await keys.verify(old.key)).ok, true);
  now += 1000;
  assert.deepEqual(await keys.verify(old.key), { ok: false, reason: 'revoked' });
  assert.equal((await keys.verify(next.key)).ok, true);

  const third = await keys.rotate(next.id, 'admin', 2);
  assert.ok(third);
  assert.equal(await keys.revoke(next.id, 'admin'), true, 'a key in its grace period can still be revoked at once');
  assert.deepEqual(await keys.verify(next.key), { ok: false, reason: 'revoked' });
  await assert.rejects(keys.rotate(third.id, 'admin', -1), /grace period must be 0 to 720 hours/);
});

test('rotating with no grace period revokes the old key at once and issues a new one with the same name', async (t) => {
  const store = new SqliteJobStore({ dataDir: ':memory:' });
  t.after(() => store.close());
  const keys = new ApiKeyService({ store });
  const old = await keys.create('forge', 'admin');
  const next = await keys.rotate(old.id, 'admin', 0);
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
