// Electron entry of the desktop app (bundled to dist/app/main.mjs). Owns what only a desktop
// shell can: one instance, the window showing the admin listener, the tray with the model status
// (loading progress, GPU or CPU), launch at login, the log file, and the OS keychain. The backend runs in a utility process supervised by BackendSupervisor, so
// a native crash in the model runtime cannot take the window down; all product logic is in core/.

import { app, BrowserWindow, Menu, Tray, nativeImage, session, shell, utilityProcess, type MenuItemConstructorOptions, type NativeImage } from 'electron';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSecretStore } from '../core/secrets/secretStore.ts';
import { RotatingLog } from './logFile.ts';
import { getOpenAtLogin, setOpenAtLogin } from './loginItem.ts';
import { decideNavigation } from './navigation.ts';
import { BackendSupervisor, systemClock, type BackendChild, type SupervisorState } from './supervisor.ts';
import { hasStatusNotifierWatcher, trayMissingReason } from './trayAvailability.ts';
import { TrayPresenter, type TrayContent } from './trayPresenter.ts';
import { trayView, type TrayColour } from './trayView.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const BACKEND_ENTRY = join(HERE, 'backendProcess.mjs');
// The staged app (dist/app, packaged) has renderer/ and icons/ beside main.mjs; a checkout's
// dist/app/main.mjs uses the repository's renderer/dist and build/resources/tray.
const RENDERER_DIR = existsSync(join(HERE, 'renderer', 'index.html')) ? join(HERE, 'renderer') : join(HERE, '..', '..', 'renderer', 'dist');
const ICON_DIR = existsSync(join(HERE, 'icons')) ? join(HERE, 'icons') : join(HERE, '..', '..', 'build', 'resources', 'tray');

let logFile: RotatingLog | undefined;
const log = (line: string) => {
  const entry = `${new Date().toISOString()} [shell] ${line}`;
  console.log(entry);
  logFile?.write(entry);
};

/** The backend's output, line by line, into the app's output and the log file. */
function forwardLines(stream: NodeJS.ReadableStream | null | undefined, out: NodeJS.WriteStream): void {
  if (!stream) return;
  let rest = '';
  stream.on('data', (chunk: Buffer | string) => {
    const lines = (rest + String(chunk)).split('\n');
    rest = lines.pop() ?? '';
    for (const l of lines) {
      out.write(`${l}\n`);
      logFile?.write(l);
    }
  });
}

function spawnBackend(dataDir: string): BackendChild {
  const child = utilityProcess.fork(BACKEND_ENTRY, [], {
    serviceName: 'Spec2Tickets backend',
    stdio: 'pipe',
    // The data folder is the OS's place for app data; its .env is read by the backend.
    env: { ...process.env, SPEC2TICKETS_DATA_DIR: dataDir },
  });
  forwardLines(child.stdout, process.stdout);
  forwardLines(child.stderr, process.stderr);
  return {
    postMessage: (m) => child.postMessage(m),
    kill: () => void child.kill(),
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener) => void child.on('exit', listener),
  };
}

/** The tray icon of a state: the app drawing with a status dot (build/make-icons.mjs); macOS uses the template image. */
function trayIcon(colour: TrayColour): NativeImage {
  const file = process.platform === 'darwin' ? join(ICON_DIR, 'trayTemplate.png') : join(ICON_DIR, process.platform === 'win32' ? `tray-${colour}.ico` : `tray-${colour}.png`);
  const image = nativeImage.createFromPath(file);
  if (image.isEmpty()) log(`tray icon ${file} is missing or unreadable`);
  return image;
}

const originOf = (url: string | undefined): string | undefined => {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
};

async function main(): Promise<void> {
  // SPEC2TICKETS_DATA_DIR still wins (a portable install); otherwise the OS's folder for app data.
  const dataDir = process.env.SPEC2TICKETS_DATA_DIR || app.getPath('userData');
  const logDir = app.getPath('logs');
  logFile = new RotatingLog({ dir: logDir });
  log(`Spec2Tickets ${app.getVersion()} starting; data folder ${dataDir}; log file ${logFile.file}`);
  const { store: secrets, note } = await createSecretStore({ env: process.env });
  log(note);
  const supervisor = new BackendSupervisor({
    spawn: () => spawnBackend(dataDir),
    secrets,
    startOptions: { version: app.getVersion(), rendererDir: RENDERER_DIR },
    log,
  });

  let window: BrowserWindow | undefined;
  let adminUrl: string | undefined;
  let adminOrigin: string | undefined;
  let tray: Tray | undefined;
  let noTray: string | undefined;
  let countdown: NodeJS.Timeout | undefined;

  // The admin page may write to the clipboard (the API key's Copy button) and nothing else: no
  // device, camera, notification or other permission, and no origin but the admin listener's.
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback, details) => {
    callback(permission === 'clipboard-sanitized-write' && adminOrigin !== undefined && originOf(details.requestingUrl) === adminOrigin);
  });
  session.defaultSession.setPermissionCheckHandler((_wc, permission, requestingOrigin) => {
    return permission === 'clipboard-sanitized-write' && adminOrigin !== undefined && originOf(requestingOrigin) === adminOrigin;
  });

  const openWindow = () => {
    if (window) {
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      return;
    }
    if (!adminUrl) return;
    const win = new BrowserWindow({
      width: 1280,
      height: 860,
      show: false,
      title: 'Spec2Tickets',
      autoHideMenuBar: true,
      webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webviewTag: false, spellcheck: false },
    });
    window = win;
    win.once('ready-to-show', () => win.show());
    win.on('closed', () => (window = undefined));
    const guard = (event: { preventDefault(): void }, url: string) => {
      const d = decideNavigation(url, adminOrigin);
      if (d === 'allow') return;
      event.preventDefault();
      if (d === 'external') void shell.openExternal(url);
    };
    win.webContents.on('will-navigate', (event) => guard(event, event.url));
    win.webContents.on('will-redirect', (event) => guard(event, event.url));
    win.webContents.on('will-attach-webview', (event) => event.preventDefault());
    win.webContents.setWindowOpenHandler(({ url }) => {
      const d = decideNavigation(url, adminOrigin);
      if (d === 'allow') void win.loadURL(url);
      else if (d === 'external') void shell.openExternal(url);
      return { action: 'deny' };
    });
    void win.loadURL(adminUrl);
  };

  const toggleLoginItem = () => {
    const on = !getOpenAtLogin(app);
    try {
      setOpenAtLogin(app, on, process.env.APPIMAGE ?? process.execPath);
      log(on ? 'Spec2Tickets now starts at login' : 'Spec2Tickets no longer starts at login');
    } catch (err) {
      log(`could not change "Launch at login": ${(err as Error).message}`);
    }
    renderTray(supervisor.state());
  };

  const presenter = new TrayPresenter((content, update) => {
    if (!tray) return;
    if (update.icon) tray.setImage(trayIcon(content.colour));
    if (update.tooltip) tray.setToolTip(content.status);
    if (update.menu) {
      const template: MenuItemConstructorOptions[] = [
        { label: content.status, enabled: false },
        { type: 'separator' },
        { label: 'Open Spec2Tickets', enabled: content.canOpen, click: openWindow },
        { label: 'Restart backend', click: () => void supervisor.restart() },
        { label: 'Launch at login', type: 'checkbox', checked: content.openAtLogin, click: toggleLoginItem },
        { label: 'Open logs', click: () => void shell.openPath(logDir) },
        { type: 'separator' },
        { label: 'Quit', click: () => app.quit() },
      ];
      tray.setContextMenu(Menu.buildFromTemplate(template));
    }
  }, systemClock);

  const renderTray = (s: SupervisorState) => {
    const view = trayView(s, Date.now());
    const content: TrayContent = {
      status: view.status,
      colour: view.colour,
      canOpen: adminUrl !== undefined,
      openAtLogin: getOpenAtLogin(app),
      progress: s.model?.state === 'downloading' || s.model?.state === 'loading',
    };
    presenter.show(content);
    if (window) window.setTitle(noTray ? `${view.status} (no tray icon: closing this window quits)` : view.status);
  };

  noTray = trayMissingReason(process.platform, process.env, process.platform === 'linux' ? await hasStatusNotifierWatcher() : undefined);
  if (noTray) log(noTray);
  else {
    try {
      tray = new Tray(trayIcon('grey'));
      tray.on('click', openWindow);
    } catch (err) {
      noTray = `No tray on this desktop (${(err as Error).message}): closing the window quits Spec2Tickets.`;
      log(noTray);
    }
  }

  supervisor.onChange((s) => {
    if (s.phase === 'running' && s.adminUrl !== adminUrl) {
      // A restarted backend has a new session token: reload the window with it.
      adminUrl = s.adminUrl;
      adminOrigin = new URL(s.adminUrl).origin;
      if (window) void window.loadURL(adminUrl);
      else openWindow();
    }
    renderTray(s);
    clearInterval(countdown);
    if (s.phase === 'restarting') countdown = setInterval(() => renderTray(supervisor.state()), 1000);
    if (s.phase === 'failed') log(s.error);
  });
  renderTray(supervisor.state());

  app.on('second-instance', openWindow);
  app.on('activate', openWindow);
  app.on('window-all-closed', () => {
    // Without a visible tray the window is the only way back: closing it quits.
    if (!tray) app.quit();
  });
  let stopped = false;
  let stopping = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    clearInterval(countdown);
    presenter.cancel();
    log('quitting: stopping the backend');
    void supervisor.stop().finally(() => {
      stopped = true;
      tray?.destroy();
      log('backend stopped; bye');
      app.quit();
    });
  });

  supervisor.start();
}

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the keychain entries and the listeners; it shows its window instead.
  app.quit();
} else {
  app
    .whenReady()
    .then(main)
    .catch((err: Error) => {
      console.error(`Spec2Tickets could not start: ${err.message}`);
      app.exit(1);
    });
}
