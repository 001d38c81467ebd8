// A stand-in for Electron's main-process API, so the real bundled dist/app/main.mjs runs under
// Node in tests: app, BrowserWindow, Tray, Menu, nativeImage, session, shell and utilityProcess
// (a real child process through child_process.fork, given a `process.parentPort` like Electron's).
// It records what the app does (window options, loaded URLs, tray image/tooltip/menu, permission
// and navigation decisions) and answers a test's commands over the IPC channel of the process.
// Only what desktop/main.ts uses is here; it is no Electron.
import { EventEmitter } from 'node:events';
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';

const PARENT_PORT_SHIM = fileURLToPath(new URL('./parentPortShim.mjs', import.meta.url));
const home = process.env.ELECTRON_STANDIN_HOME ?? process.cwd();

const recorded = { windows: [], tray: undefined, external: [], openedPaths: [], menuBuilds: 0, backends: [], quitting: false, events: [] };
/** What happened in order: window loads and tray tooltips, so a test can tell which came first. */
const event = (kind, value) => recorded.events.push({ kind, value });
const handlers = { permissionRequest: undefined, permissionCheck: undefined };

class App extends EventEmitter {
  #login = { openAtLogin: false };
  whenReady() {
    return new Promise((resolve) => setImmediate(resolve));
  }
  getPath(name) {
    return join(home, name);
  }
  getVersion() {
    return '0.1.0';
  }
  requestSingleInstanceLock() {
    return true;
  }
  getLoginItemSettings() {
    return { ...this.#login };
  }
  setLoginItemSettings(s) {
    this.#login = { openAtLogin: Boolean(s.openAtLogin) };
  }
  quit() {
    recorded.quitting = true;
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    for (const w of [...recorded.windows]) if (!w.destroyed) w.instance.destroy();
    this.emit('will-quit', { preventDefault() {} });
    this.emit('quit');
    setImmediate(() => process.exit(0));
  }
  exit(code = 0) {
    process.exit(code);
  }
}
export const app = new App();

class WebContents extends EventEmitter {
  windowOpenHandler = undefined;
  setWindowOpenHandler(h) {
    this.windowOpenHandler = h;
  }
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.webContents = new WebContents();
    this.record = { options, urls: [], loads: [], title: options.title, visible: false, destroyed: false, instance: this };
    recorded.windows.push(this.record);
  }
  async loadURL(url) {
    this.record.urls.push(url);
    event('load', url);
    // Loads it for real, so a test sees that the window's URL is the live admin page.
    try {
      const res = await globalThis.fetch(url);
      this.record.loads.push({ url, status: res.status, type: res.headers.get('content-type') });
    } catch (err) {
      this.record.loads.push({ url, error: err.message });
    }
    if (this.record.loads.length === 1) this.emit('ready-to-show');
  }
  show() {
    this.record.visible = true;
  }
  focus() {}
  isMinimized() {
    return false;
  }
  restore() {}
  setTitle(t) {
    this.record.title = t;
  }
  destroy() {
    if (this.record.destroyed) return;
    this.record.destroyed = true;
    this.emit('closed');
  }
  close() {
    this.destroy();
    if (recorded.windows.every((w) => w.destroyed)) app.emit('window-all-closed');
  }
}

export class Tray extends EventEmitter {
  constructor(image) {
    super();
    recorded.tray = { image: image.path, tooltip: '', menu: [], destroyed: false, instance: this };
  }
  setImage(image) {
    recorded.tray.image = image.path;
  }
  setToolTip(t) {
    recorded.tray.tooltip = t;
    event('tooltip', t);
  }
  setContextMenu(menu) {
    recorded.menuBuilds += 1;
    recorded.tray.menu = menu.items;
  }
  destroy() {
    recorded.tray.destroyed = true;
  }
}

export const Menu = {
  buildFromTemplate: (items) => ({ items }),
};

export const nativeImage = {
  createFromPath: (path) => ({ path, isEmpty: () => !existsSync(path) }),
  createFromBitmap: () => ({ path: '(bitmap)', isEmpty: () => false }),
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler: (h) => (handlers.permissionRequest = h),
    setPermissionCheckHandler: (h) => (handlers.permissionCheck = h),
  },
};

export const shell = {
  openExternal: async (url) => void recorded.external.push(url),
  openPath: async (path) => {
    recorded.openedPaths.push(path);
    return '';
  },
};

class UtilityProcess extends EventEmitter {
  constructor(child) {
    super();
    this.child = child;
    this.pid = child.pid;
    this.stdout = child.stdout;
    this.stderr = child.stderr;
    child.on('message', (m) => this.emit('message', m));
    child.on('exit', (code, signal) => this.emit('exit', code ?? (signal ? 1 : 0)));
  }
  postMessage(m) {
    if (this.child.connected) this.child.send(m);
  }
  kill() {
    return this.child.kill();
  }
}

export const utilityProcess = {
  fork(modulePath, args = [], options = {}) {
    const child = fork(modulePath, args, {
      env: options.env ?? process.env,
      execArgv: ['--import', PARENT_PORT_SHIM],
      stdio: options.stdio === 'pipe' ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    recorded.backends.push(child.pid);
    return new UtilityProcess(child);
  },
};

export default { app, BrowserWindow, Tray, Menu, nativeImage, session, shell, utilityProcess };

// ---------------------------------------------------------------------------------------------
// The test's side: commands over this process's IPC channel.

function snapshot() {
  const { tray } = recorded;
  return {
    windows: recorded.windows.map(({ options, urls, loads, title, visible, destroyed }) => ({ options, urls, loads, title, visible, destroyed })),
    tray: tray && {
      image: tray.image,
      tooltip: tray.tooltip,
      destroyed: tray.destroyed,
      menu: tray.menu.map((i) => ({ label: i.label, type: i.type ?? 'normal', enabled: i.enabled !== false, checked: i.checked })),
    },
    menuBuilds: recorded.menuBuilds,
    external: recorded.external,
    openedPaths: recorded.openedPaths,
    backends: recorded.backends,
    events: recorded.events,
  };
}

const liveWindow = () => [...recorded.windows].reverse().find((w) => !w.destroyed)?.instance;

const commands = {
  snapshot,
  navigate: ({ url, event = 'will-navigate' }) => {
    let prevented = false;
    liveWindow().webContents.emit(event, { url, preventDefault: () => (prevented = true) });
    return { prevented };
  },
  windowOpen: ({ url }) => liveWindow().webContents.windowOpenHandler({ url }),
  permission: ({ permission, url }) =>
    new Promise((resolve) => {
      const check = handlers.permissionCheck ? handlers.permissionCheck(null, permission, new URL(url).origin, {}) : undefined;
      handlers.permissionRequest(null, permission, (granted) => resolve({ granted, check }), { requestingUrl: url });
    }),
  click: ({ label }) => {
    const item = recorded.tray.menu.find((i) => i.label === label);
    if (!item) throw new Error(`no tray menu item "${label}"`);
    if (item.enabled === false) throw new Error(`tray menu item "${label}" is disabled`);
    item.click?.();
    return {};
  },
  closeWindow: () => {
    liveWindow()?.close();
    return {};
  },
};

if (process.send) {
  process.on('message', async (m) => {
    if (!m || typeof m !== 'object' || typeof m.cmd !== 'string') return;
    try {
      const fn = commands[m.cmd];
      if (!fn) throw new Error(`unknown command ${m.cmd}`);
      process.send({ id: m.id, result: await fn(m) });
    } catch (err) {
      process.send({ id: m.id, error: err.message });
    }
  });
}
// Electron keeps running until the app quits; so does the stand-in (quit() ends the process).
setInterval(() => {}, 1 << 30);
