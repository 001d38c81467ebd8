// API keys for the public listener: created, rotated and revoked from the admin API and the CLI.
// A key is shown once; only its SHA-256 hash is stored (keys are 256 random bits, so a slow hash
// adds nothing), found by its short prefix and compared in constant time.

import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, JobStore } from '../store/types.ts';

export const API_KEY_PREFIX = 's2t_';
const PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
/** s2t_ and 32 random bytes in base64url (43 characters). */
export const KEY_LENGTH = API_KEY_PREFIX.length + 43;
export const DEFAULT_ROTATION_GRACE_HOURS = 24;
export const MAX_ROTATION_GRACE_HOURS = 24 * 30;

export interface IssuedKey {
  id: string;
  name: string;
  prefix: string;
  /** The full key: returned once, never stored. */
  key: string;
  createdAt: string;
}

export type PublicKeyInfo = Omit<ApiKeyRecord, 'hash'>;

const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export const publicKeyInfo = ({ hash: _hash, ...rest }: ApiKeyRecord): PublicKeyInfo => rest;

export interface ApiKeyServiceOptions {
  store: JobStore;
  now?: () => Date;
}

export class ApiKeyService {
  private readonly store: JobStore;
  private readonly now: () => Date;

  constructor(o: ApiKeyServiceOptions) {
    this.store = o.store;
    this.now = o.now ?? (() => new Date());
  }

  async create(name: string, actor: string): Promise<IssuedKey> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100) throw new Error('An API key needs a name of 1 to 100 characters');
    const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
    const rec = { id: randomUUID(), name: trimmed, prefix: key.slice(0, PREFIX_LENGTH), hash: hashKey(key), createdAt: this.now().toISOString() };
    await this.store.insertApiKey(rec);
    await this.store.audit({ jobId: null, actor, action: 'apikey.created', details: { id: rec.id, name: rec.name, prefix: rec.prefix } });
    return { id: rec.id, name: rec.name, prefix: rec.prefix, key, createdAt: rec.createdAt };
  }

  async list(): Promise<PublicKeyInfo[]> {
    return (await this.store.listApiKeys()).map(publicKeyInfo);
  }

  /**
   * Issues a new key with the same name; the old one keeps working for `graceHours` (so the Forge
   * app can be given the new one without an outage), then counts as revoked. 0 revokes it at once.
   */
  async rotate(id: string, actor: string, graceHours = DEFAULT_ROTATION_GRACE_HOURS): Promise<IssuedKey | undefined> {
    const old = await this.store.getApiKey(id);
    if (!old || old.revokedAt) return undefined;
    if (!(graceHours >= 0 && graceHours <= MAX_ROTATION_GRACE_HOURS)) throw new RangeError(`The grace period must be 0 to ${MAX_ROTATION_GRACE_HOURS} hours`);
    const issued = await this.create(old.name, actor);
    const until = new Date(this.now().getTime() + graceHours * 3_600_000).toISOString();
    await this.store.revokeApiKey(id, until);
    await this.store.audit({ jobId: null, actor, action: 'apikey.rotated', details: { id, replacedBy: issued.id, oldKeyValidUntil: until, graceHours } });
    return issued;
  }

  /** Revokes at once (also a rotated key still in its grace period). */
  async revoke(id: string, actor: string): Promise<boolean> {
    const ok = await this.store.revokeApiKey(id, this.now().toISOString());
    if (ok) await this.store.audit({ jobId: null, actor, action: 'apikey.revoked', details: { id } });
    return ok;
  }

  /** Checks a presented key. Returns the key record when valid, or why not. */
  async verify(presented: string): Promise<{ ok: true; key: PublicKeyInfo } | { ok: false; reason: 'malformed' | 'incomplete' | 'unknown' | 'revoked' }> {
    if (!presented.startsWith(API_KEY_PREFIX) || presented.length > 200) return { ok: false, reason: 'malformed' };
    // Cut off while copying: the start is right, the rest is missing.
    if (presented.length < KEY_LENGTH) return { ok: false, reason: 'incomplete' };
    const want = Buffer.from(hashKey(presented), 'hex');
    let match: ApiKeyRecord | undefined;
    for (const candidate of await this.store.apiKeysByPrefix(presented.slice(0, PREFIX_LENGTH))) {
      if (timingSafeEqual(Buffer.from(candidate.hash, 'hex'), want)) match = candidate;
    }
    if (!match) return { ok: false, reason: 'unknown' };
    const now = this.now();
    // A rotated key's revokedAt lies ahead until its grace period ends.
    if (match.revokedAt && Date.parse(match.revokedAt) <= now.getTime()) return { ok: false, reason: 'revoked' };
    // Last-used is for people ("is this key still in use?"): minute precision spares a write per request.
    if (!match.lastUsedAt || now.getTime() - Date.parse(match.lastUsedAt) > 60_000) await this.store.touchApiKey(match.id, now.toISOString());
    return { ok: true, key: publicKeyInfo(match) };
  }
}
