// The desktop shell's small parts: when the tray is redrawn, the rotating log file, the missing
// tray on GNOME, and launch at login on Linux.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RotatingLog } from './logFile.ts';
import { autostartFile, getOpenAtLogin, setOpenAtLogin } from './loginItem.ts';
import { NO_TRAY_MESSAGE, trayMissingReason } from './trayAvailability.ts';
import { TrayPresenter, type TrayContent, type TrayUpdate } from './trayPresenter.ts';

const tmp = mkdtempSync(join(tmpdir(), 's2t-shell-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function fakeClock() {
  let now = 0;
  const timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let next = 0;
  return {
    now: () => now,
    setTimeout: (fn: () => void, ms: number) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout: (h: unknown) => {
      const i = timers.findIndex((t) => t.id === h);
      if (i !== -1) timers.splice(i, 1);
    },
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
    },
  };
}

const content = (status: string, o: Partial<TrayContent> = {}): TrayContent => ({ status, colour: 'blue', canOpen: true, openAtLogin: false, progress: false, ...o });

test('the tray is redrawn only when its content changes, and progress at most once a second', () => {
  const clock = fakeClock();
  const applied: Array<[string, TrayUpdate]> = [];
  const p = new TrayPresenter((c, u) => applied.push([c.status, u]), clock, 1_000);
  p.show(content('starting', { colour: 'grey' }));
  p.show(content('starting', { colour: 'grey' }));
  assert.deepEqual(applied, [['starting', { icon: true, tooltip: true, menu: true }]], 'the same content twice is drawn once');

  p.show(content('downloading 1%', { progress: true }));
  p.show(content('downloading 2%', { progress: true }));
  p.show(content('downloading 3%', { progress: true }));
  assert.equal(applied.length, 2, 'progress within the interval waits');
  clock.advance(999);
  assert.equal(applied.length, 2);
  clock.advance(1);
  assert.deepEqual(applied.at(-1), ['downloading 3%', { icon: false, tooltip: true, menu: true }], 'only the latest progress is drawn');

  p.show(content('downloading 4%', { progress: true }));
  p.show(content('model ready on CPU', { colour: 'green' }));
  assert.deepEqual(applied.at(-1), ['model ready on CPU', { icon: true, tooltip: true, menu: true }], 'a state change is drawn at once');
  clock.advance(5_000);
  assert.equal(applied.filter(([s]) => s === 'downloading 4%').length, 0, 'stale progress is dropped');

  p.show(content('model ready on CPU', { colour: 'green', openAtLogin: true }));
  assert.deepEqual(applied.at(-1), ['model ready on CPU', { icon: false, tooltip: false, menu: true }]);
});

test('the log file rotates by size and keeps the newest files', () => {
  const dir = join(tmp, 'logs');
  const log = new RotatingLog({ dir, maxBytes: 100, keep: 2 });
  for (let i = 0; i < 20; i++) log.write(`line ${String(i).padStart(2, '0')} ${'x'.repeat(20)}`);
  assert.deepEqual(readdirSync(dir).sort(), ['spec2tickets.1.log', 'spec2tickets.2.log', 'spec2tickets.log']);
  const current = readFileSync(log.file, 'utf8');
  assert.match(current, /line 19/);
  assert.ok(Buffer.byteLength(current) <= 100);
  assert.doesNotMatch(readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')).join(''), /line 00/, 'the oldest lines are gone');
  // A new log on the same folder appends and counts what is there.
  const again = new RotatingLog({ dir, maxBytes: 100, keep: 2 });
  again.write('after restart');
  assert.match(readFileSync(again.file, 'utf8'), /line 19[^]*after restart|^after restart/);
});

test('a missing tray is detected on GNOME without a StatusNotifierWatcher only', () => {
  assert.equal(trayMissingReason('linux', { XDG_CURRENT_DESKTOP: 'GNOME' }, false), NO_TRAY_MESSAGE);
  assert.equal(trayMissingReason('linux', { XDG_CURRENT_DESKTOP: 'ubuntu:GNOME' }, true), undefined, 'the AppIndicator extension provides the watcher');
  assert.equal(trayMissingReason('linux', { XDG_CURRENT_DESKTOP: 'KDE' }, false), undefined);
  assert.equal(trayMissingReason('linux', { XDG_CURRENT_DESKTOP: 'GNOME' }, undefined), undefined, 'unknown: assume a tray');
  assert.equal(trayMissingReason('darwin', { XDG_CURRENT_DESKTOP: 'GNOME' }, false), undefined);
  assert.match(trayMissingReason('linux', { SPEC2TICKETS_NO_TRAY: '1' }, true) ?? '', /closing the window quits/);
});

test('launch at login writes and removes an XDG autostart entry on Linux, and uses the login item elsewhere', () => {
  const env = { XDG_CONFIG_HOME: join(tmp, 'xdg') };
  const app = { s: { openAtLogin: false }, getLoginItemSettings() { return this.s; }, setLoginItemSettings(s: { openAtLogin: boolean }) { this.s = s; } };
  setOpenAtLogin(app, true, '/opt/Spec2Tickets/spec2tickets "beta"', 'linux', env);
  const file = autostartFile(env);
  assert.match(readFileSync(file, 'utf8'), /^Exec="\/opt\/Spec2Tickets\/spec2tickets \\"beta\\""$/m);
  assert.equal(getOpenAtLogin(app, 'linux', env), true);
  setOpenAtLogin(app, false, '/x', 'linux', env);
  assert.equal(existsSync(file), false);
  setOpenAtLogin(app, true, '/x', 'darwin', env);
  assert.equal(getOpenAtLogin(app, 'darwin', env), true);
  assert.equal(existsSync(file), false, 'no autostart file outside Linux');
});
