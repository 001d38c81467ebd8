// build/setup.sh checks Node's version before it installs anything: an old or missing `node` on
// PATH stops it at once with what to install, not with an obscure error after minutes of npm.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const setup = fileURLToPath(new URL('../../build/setup.sh', import.meta.url));

/**
 * Runs setup.sh with a PATH of its own: a fake `node` whose `-p` prints `version` (none when
 * undefined), a fake `npm` and `dpkg`, and `dirname`. Nothing real is installed or run.
 */
function runWithNode(version: string | undefined) {
  const bin = mkdtempSync(join(tmpdir(), 's2t-fake-node-'));
  try {
    if (version !== undefined) {
      writeFileSync(join(bin, 'node'), `#!/bin/sh\necho ${version}\n`);
      chmodSync(join(bin, 'node'), 0o755);
    }
    // Past the check, every system package counts as installed and the fake npm stops the run.
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\necho NPM-RAN >&2\nexit 99\n`);
    writeFileSync(join(bin, 'dpkg'), `#!/bin/sh\nexit 0\n`);
    chmodSync(join(bin, 'npm'), 0o755);
    chmodSync(join(bin, 'dpkg'), 0o755);
    symlinkSync('/usr/bin/dirname', join(bin, 'dirname'));
    const r = spawnSync('/bin/bash', [setup], { encoding: 'utf8', timeout: 30_000, env: { PATH: bin, HOME: bin } });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

test('setup stops at once on Node 18 (Debian 12, Ubuntu 24.04) and says what to install', () => {
  const r = runWithNode('18.19.1');
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /needs Node\.js 20\.12\.0 or newer; this machine has 18\.19\.1/);
  assert.match(r.out, /install Node\.js 20 LTS or newer/);
  assert.doesNotMatch(r.out, /NPM-RAN|Installing system packages/, 'nothing is installed before the check');
});

test('setup refuses Node 20.11 (util.parseEnv arrived in 20.12) and a machine without node', () => {
  const old = runWithNode('20.11.1');
  assert.equal(old.status, 1, old.out);
  assert.match(old.out, /this machine has 20\.11\.1/);
  const none = runWithNode(undefined);
  assert.equal(none.status, 1, none.out);
  assert.match(none.out, /no 'node' was found on PATH/);
});

test('setup accepts Node 20.12 and newer majors, and says it needs the npm registry and Debian/Ubuntu packages', () => {
  for (const v of ['20.12.0', '22.3.0', '24.0.0']) {
    const r = runWithNode(v);
    assert.match(r.out, /NPM-RAN/, 'setup goes on to npm');
    assert.match(r.out, new RegExp(`Node\\.js ${v.replace(/\./g, '\\.')}: ok\\. Setup downloads from the npm registry and, for missing system libraries, your Debian/Ubuntu package sources`), r.out);
  }
});
