// Files and folders that hold secrets or private data are this user's alone: folders 0700, files
// 0600. Modes are only ever tightened, on paths this user owns; on Windows the profile's ACLs apply.

import { chmodSync, existsSync, statSync } from 'node:fs';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Tightens a path's mode when this user owns it and others can read or write it (never loosens). */
export function tightenMode(path: string, mode: number): void {
  if (process.platform === 'win32' || !existsSync(path)) return;
  const st = statSync(path);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return;
  if ((st.mode & 0o777 & ~mode) !== 0) chmodSync(path, mode);
}

/** A secrets file such as .env becomes 0600 (best effort: whatever reads it reports real trouble). */
export function protectSecretFile(path: string): void {
  try {
    tightenMode(path, PRIVATE_FILE_MODE);
  } catch {
    // Not ours to change (a read-only mount, for instance): reading it still works.
  }
}
