// The desktop app under a real Electron, driven by Playwright's `_electron`: the staged app (its
// own node_modules rebuilt for Electron) starts, its window shows the admin page with the secure
// web preferences (no Node in the page), and it quits cleanly. The test exists only where an Electron binary and a
// display do (a developer's machine after `npm run setup` with a desktop, or under xvfb-run);
// elsewhere this file registers no test at all. mainProcess.test.ts covers the same flow under
// Node with a stand-in for Electron everywhere.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The downloaded Electron binary (node_modules/electron/path.txt), or undefined. */
function electronBinary(): string | undefined {
  const dir = join(root, 'node_modules', 'electron');
  const pathTxt = join(dir, 'path.txt');
  if (!existsSync(pathTxt)) return undefined;
  const bin = join(dir, 'dist', readFileSync(pathTxt, 'utf8').trim());
  return existsSync(bin) ? bin : undefined;
}

const binary = electronBinary();
const display = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);

if (binary && display) {
  const tmp = mkdtempSync(join(tmpdir(), 's2t-electron-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('the staged desktop app starts under Electron, shows the admin page and quits cleanly', { timeout: 600_000 }, async () => {
    const { stageDesktop, notBuildableMessage } = await import('../build/stage-desktop.mjs');
    const appDir = join(tmp, 'app');
    const staged = await stageDesktop({ outdir: appDir, gpu: [], log: () => {} });
    assert.deepEqual(staged.problems, [], notBuildableMessage(staged));

    const { _electron } = await import('playwright-core');
    const app = await _electron.launch({
      executablePath: binary,
      args: [appDir],
      env: { ...process.env, HOME: tmp, XDG_CONFIG_HOME: join(tmp, 'config'), SPEC2TICKETS_DATA_DIR: join(tmp, 'data'), SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_ADMIN_PORT: '0', SPEC2TICKETS_NO_KEYCHAIN: '1' } as Record<string, string>,
      timeout: 120_000,
    });
    try {
      const page = await app.firstWindow({ timeout: 120_000 });
      await page.waitForURL(/^http:\/\/127\.0\.0\.1:\d+\//, { timeout: 120_000 });
      const title = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.getTitle());
      assert.match(title ?? '', /^Spec2Tickets/);
      assert.equal(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process), 'undefined', 'no Node in the page');
      assert.equal(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require), 'undefined', 'no Node in the page');
      assert.ok(existsSync(join(tmp, 'data', 'spec2tickets.db')), 'the backend runs with better-sqlite3 built for Electron');
    } finally {
      await app.evaluate(({ app: electronApp }) => electronApp.quit()).catch(() => {});
      await app.close().catch(() => {});
    }
  });
}
