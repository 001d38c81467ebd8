// The Forge app's copy of the public API contract (forge/src/contract/publicApi.ts) is what
// build/forge-contract.mjs generates from core/server/publicApi.ts today: when the backend's API
// changes, this fails and says which command brings the copy up to date.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const copy = join(root, 'forge/src/contract/publicApi.ts');

function check(target?: string) {
  const r = spawnSync(process.execPath, ['build/forge-contract.mjs', '--check', ...(target ? ['--target', target] : [])], { cwd: root, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

test('the Forge app’s contract types match core/server/publicApi.ts', () => {
  const r = check();
  assert.equal(r.status, 0, r.output);
});

test('a copy that lags behind the backend fails the check with the command that regenerates it', () => {
  const dir = mkdtempSync(join(tmpdir(), 's2t-contract-'));
  try {
    const stale = join(dir, 'publicApi.ts');
    // As if the backend had added a field the copy does not have yet.
    writeFileSync(stale, readFileSync(copy, 'utf8').replace(/\n {2}attempt: number;/, ''));
    const r = check(stale);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /Run `npm run forge:contract`/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the copy is self-contained: no imports, so forge/ builds without the backend', () => {
  const text = readFileSync(copy, 'utf8');
  assert.doesNotMatch(text, /^\s*import\b/m);
  assert.match(text, /export type JobStatusResponse = \{/);
  assert.match(text, /rejectionReason\?: string;/, 'the rejection reason reaches the macro');
});
