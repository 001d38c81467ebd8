// The desktop app's main process as built (the real bundled dist/app/main.mjs), run under Node with
// a stand-in for Electron's main-process API (desktop/testing/electronStandIn.mjs, through an ESM
// loader hook) and the real backend in a child process: the window and its options, navigation
// and permission decisions, the tray's states and menu, the data and log folders, a backend
// killed with SIGKILL and restarted, and a clean quit.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDesktop } from '../build/build-desktop.mjs';
import { tinyQwenPath } from '../test/support/tinyQwen.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 's2t-main-process-'));
// Laid out like a checkout: <tmp>/dist/app/main.mjs beside <tmp>/node_modules, renderer/dist and build/resources.
const out = join(tmp, 'dist', 'app');
mkdirSync(out, { recursive: true });
symlinkSync(join(root, 'node_modules'), join(tmp, 'node_modules'), 'dir');
mkdirSync(join(tmp, 'build'), { recursive: true });
symlinkSync(join(root, 'build', 'resources'), join(tmp, 'build', 'resources'), 'dir');
mkdirSync(join(tmp, 'renderer'), { recursive: true });
if (existsSync(join(root, 'renderer', 'dist'))) symlinkSync(join(root, 'renderer', 'dist'), join(tmp, 'renderer', 'dist'), 'dir');
const home = join(tmp, 'electron-home');
const userData = join(home, 'userData');
after(() => rmSync(tmp, { recursive: true, force: true }));

interface Snapshot {
  windows: Array<{ options: Record<string, unknown> & { webPreferences: Record<string, unknown> }; urls: string[]; loads: Array<{ url: string; status?: number; error?: string }>; title: string; visible: boolean; destroyed: boolean }>;
  tray?: { image: string; tooltip: string; destroyed: boolean; menu: Array<{ label?: string; type: string; enabled: boolean; checked?: boolean }> };
  menuBuilds: number;
  external: string[];
  openedPaths: string[];
  backends: number[];
  events: Array<{ kind: 'load' | 'tooltip'; value: string }>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

class App {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.output += String(d)));
    child.stderr?.on('data', (d) => (this.output += String(d)));
    child.on('message', (m: { id?: number; result?: unknown; error?: string }) => {
      const w = m.id === undefined ? undefined : this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id!);
      if (m.error) w.reject(new Error(m.error));
      else w.resolve(m.result);
    });
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  send<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, ...args });
    });
  }

  /** Backend processes seen so far, killed by stop() whatever state the test ended in. */
  backends: number[] = [];

  async snapshot(): Promise<Snapshot> {
    const s = await this.send<Snapshot>('snapshot');
    this.backends = s.backends;
    return s;
  }

  stop(): void {
    this.child.kill('SIGKILL');
    for (const pid of this.backends) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }

  async until(what: string, ok: (s: Snapshot) => boolean, timeoutMs = 60_000): Promise<Snapshot> {
    const deadline = Date.now() + timeoutMs;
    let s = await this.snapshot();
    while (!ok(s)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last snapshot: ${JSON.stringify(s)}\noutput:\n${this.output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 150));
      s = await this.snapshot();
    }
    return s;
  }
}


function launch(env: NodeJS.ProcessEnv): App {
  return new App(
    fork(join(out, 'main.mjs'), [], {
      cwd: tmp,
      env: { PATH: process.env.PATH ?? '', HOME: tmp, SPEC2TICKETS_PUBLIC_PORT: '0', SPEC2TICKETS_NO_KEYCHAIN: '1', ...env },
      execArgv: ['--import', join(root, 'desktop', 'testing', 'registerElectronStandIn.mjs')],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
}

test('the bundled main process runs the real backend: window, navigation, permissions, tray, restart after SIGKILL, quit', { timeout: 240_000 }, async () => {
  await buildDesktop({ outdir: out });
  // .env in the data folder (not the working directory) is what the backend reads.
  const adminPort = await freePort();
  mkdirSync(userData, { recursive: true });
  writeFileSync(join(userData, '.env'), `SPEC2TICKETS_ADMIN_PORT=${adminPort}\n`);
  writeFileSync(join(tmp, '.env'), 'SPEC2TICKETS_ADMIN_PORT=1\n');
  const xdgConfig = join(tmp, 'xdg-config');

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: tmp,
    XDG_CONFIG_HOME: xdgConfig,
    ELECTRON_STANDIN_HOME: home,
    SPEC2TICKETS_PUBLIC_PORT: '0',
    SPEC2TICKETS_NO_KEYCHAIN: '1',
  };
  const app = new App(
    fork(join(out, 'main.mjs'), [], {
      cwd: tmp,
      env,
      execArgv: ['--import', join(root, 'desktop', 'testing', 'registerElectronStandIn.mjs')],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  try {
    // The window opens on the live admin page once the backend's listeners are up.
    let s = await app.until('the window', (x) => x.windows.length === 1 && x.windows[0]!.loads.length === 1);
    const win = s.windows[0]!;
    assert.deepEqual(win.options.webPreferences, { contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, spellcheck: false });
    assert.equal(win.options.show, false, 'shown once ready, never blank');
    assert.equal(win.visible, true);
    const admin = new URL(win.urls[0]!);
    assert.equal(admin.hostname, '127.0.0.1', 'the admin listener is on loopback');
    assert.equal(admin.port, String(adminPort), 'the port set in the data folder .env, not the working directory .env');
    assert.equal(win.loads[0]!.status, 200, JSON.stringify(win.loads[0]));
    assert.ok(existsSync(join(userData, 'spec2tickets.db')), "the backend keeps its data in app.getPath('userData')");
    assert.ok(!existsSync(join(tmp, 'spec2tickets.db')) && !existsSync(join(tmp, '.data')), 'nothing in the working directory');

    // Navigation: the admin origin stays in the window, the web goes to the browser.
    assert.deepEqual(await app.send('navigate', { url: `${admin.origin}/jobs` }), { prevented: false });
    assert.deepEqual(await app.send('navigate', { url: 'https://example.com/phish' }), { prevented: true });
    assert.deepEqual(await app.send('navigate', { url: 'file:///etc/passwd', event: 'will-redirect' }), { prevented: true });
    assert.deepEqual(await app.send('windowOpen', { url: 'https://example.com/doc' }), { action: 'deny' });
    s = await app.snapshot();
    assert.deepEqual(s.external, ['https://example.com/phish', 'https://example.com/doc']);

    // Permissions: clipboard-write for the admin origin only; nothing else for anyone.
    assert.deepEqual(await app.send('permission', { permission: 'clipboard-sanitized-write', url: `${admin.origin}/keys` }), { granted: true, check: true });
    assert.deepEqual(await app.send('permission', { permission: 'clipboard-sanitized-write', url: 'https://evil.example/' }), { granted: false, check: false });
    assert.deepEqual(await app.send('permission', { permission: 'media', url: `${admin.origin}/` }), { granted: false, check: false });
    assert.deepEqual(await app.send('permission', { permission: 'notifications', url: `${admin.origin}/` }), { granted: false, check: false });

    // Tray: the state (no model configured: the drafter), its icon, and the menu.
    s = await app.until('the tray status', (x) => x.tray?.tooltip === 'Spec2Tickets — no model (drafter writes breakdowns)');
    assert.match(s.tray!.image, /tray-grey\.png$/);
    assert.ok(existsSync(s.tray!.image), 'the tray icon file exists');
    assert.deepEqual(
      s.tray!.menu.filter((i) => i.type !== 'separator').map((i) => [i.label, i.enabled, i.checked]),
      [
        ['Spec2Tickets — no model (drafter writes breakdowns)', false, undefined],
        ['Open Spec2Tickets', true, undefined],
        ['Restart backend', true, undefined],
        ['Launch at login', true, false],
        ['Open logs', true, undefined],
        ['Quit', true, undefined],
      ],
    );
    // The menu is rebuilt only when its content changes: nothing changes while idle.
    const builds = s.menuBuilds;
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal((await app.snapshot()).menuBuilds, builds, 'an unchanged menu is not rebuilt');
    await app.send('click', { label: 'Launch at login' });
    s = await app.until('launch at login checked', (x) => x.tray!.menu.find((i) => i.label === 'Launch at login')?.checked === true);
    assert.equal(s.menuBuilds, builds + 1);
    const autostart = join(xdgConfig, 'autostart', 'spec2tickets.desktop');
    if (process.platform === 'linux') assert.match(readFileSync(autostart, 'utf8'), /^Exec=".+"$/m);
    await app.send('click', { label: 'Launch at login' });
    await app.until('launch at login unchecked', (x) => x.tray!.menu.find((i) => i.label === 'Launch at login')?.checked === false);
    assert.ok(!existsSync(autostart));
    await app.send('click', { label: 'Open logs' });
    s = await app.snapshot();
    assert.deepEqual(s.openedPaths, [join(home, 'logs')]);
    const logText = readFileSync(join(home, 'logs', 'spec2tickets.log'), 'utf8');
    assert.match(logText, /\[shell\] Spec2Tickets 0\.1\.0 starting; data folder .*userData; log file /);
    assert.match(logText, /"backend started"/, 'the backend output is in the log file');

    // The backend is killed: the tray says so, the supervisor starts a new one, the window follows.
    const firstPid = s.backends[0]!;
    assert.equal(s.backends.length, 1);
    process.kill(firstPid, 'SIGKILL');
    s = await app.until('the tray showing the crash', (x) => /backend error: backend exited unexpectedly/.test(x.tray?.tooltip ?? ''), 20_000);
    assert.match(s.tray!.image, /tray-red\.png$/);
    s = await app.until('a new backend and the window reloaded', (x) => x.backends.length === 2 && x.windows[0]!.loads.length === 2 && /no model/.test(x.tray?.tooltip ?? ''));
    const second = new URL(s.windows[0]!.urls[1]!);
    assert.notEqual(second.searchParams.get('token'), admin.searchParams.get('token'), 'the new backend has a new session token');
    assert.equal(s.windows[0]!.loads[1]!.status, 200);
    assert.equal(s.windows.length, 1, 'the same window is reused');

    // Quit: the backend stops cleanly, then the app exits 0.
    const secondPid = s.backends[1]!;
    await app.send('click', { label: 'Quit' });
    const { code } = await app.exited;
    assert.equal(code, 0, app.output.slice(-2000));
    assert.equal(alive(secondPid), false, 'no backend is left running');
    assert.match(readFileSync(join(home, 'logs', 'spec2tickets.log'), 'utf8'), /backend stopped; bye/);
  } finally {
    app.stop();
  }
});

test('with a model configured, the window opens while the model loads and the tray shows the loading, then CPU', { timeout: 240_000 }, async () => {
  await buildDesktop({ outdir: out });
  const modelHome = join(tmp, 'model-home');
  const app = launch({ ELECTRON_STANDIN_HOME: modelHome, XDG_CONFIG_HOME: join(tmp, 'xdg-model'), SPEC2TICKETS_ADMIN_PORT: '0', SPEC2TICKETS_MODEL: tinyQwenPath() });
  try {
    const s = await app.until('the model ready', (x) => /model ready on /.test(x.tray?.tooltip ?? ''), 180_000);
    const firstLoad = s.events.findIndex((e) => e.kind === 'load');
    const loadingAfterWindow = s.events.findIndex((e, i) => i > firstLoad && e.kind === 'tooltip' && /^Spec2Tickets — model loading \d+%$/.test(e.value));
    const ready = s.events.findIndex((e) => e.kind === 'tooltip' && /model ready on /.test(e.value));
    assert.ok(firstLoad !== -1 && loadingAfterWindow > firstLoad && ready > loadingAfterWindow, `window first, then loading, then ready: ${JSON.stringify(s.events)}`);
    assert.equal(s.windows[0]!.loads[0]!.status, 200);
    assert.match(s.tray!.tooltip, /^Spec2Tickets — model ready on (CPU|GPU \(.+\))$/);
    assert.match(s.tray!.image, /tray-green\.png$/);
    await app.send('click', { label: 'Quit' });
    assert.equal((await app.exited).code, 0, app.output.slice(-2000));
  } finally {
    app.stop();
  }
});

test('without a tray the window says so and closing it quits the app', { timeout: 120_000 }, async () => {
  await buildDesktop({ outdir: out });
  const app = launch({ ELECTRON_STANDIN_HOME: join(tmp, 'no-tray-home'), XDG_CONFIG_HOME: join(tmp, 'xdg-no-tray'), SPEC2TICKETS_ADMIN_PORT: '0', SPEC2TICKETS_NO_TRAY: '1' });
  try {
    const s = await app.until('the window', (x) => x.windows.length === 1 && x.windows[0]!.loads.length === 1 && /no model/.test(x.windows[0]!.title));
    assert.equal(s.tray, undefined, 'no tray is created');
    assert.equal(s.windows[0]!.title, 'Spec2Tickets — no model (drafter writes breakdowns) (no tray icon: closing this window quits)');
    const backend = s.backends[0]!;
    await app.send('closeWindow');
    assert.equal((await app.exited).code, 0, app.output.slice(-2000));
    assert.equal(alive(backend), false, 'the backend stopped with the app');
    assert.match(readFileSync(join(tmp, 'no-tray-home', 'logs', 'spec2tickets.log'), 'utf8'), /No tray icon \(SPEC2TICKETS_NO_TRAY=1\)/);
  } finally {
    app.stop();
  }
});
