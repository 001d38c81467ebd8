// Electron entry of the desktop app (bundled to dist/app/main.mjs). Owns what only a desktop
// shell can: one instance, the window showing the admin listener, the tray with the model status,
// and the OS keychain. The backend runs in a utility process supervised by BackendSupervisor, so
// a native crash in the model runtime cannot take the window down; all product logic is in core/.

import { app, BrowserWindow, Menu, Tray, nativeImage, session, shell, utilityProcess, type NativeImage } from 'electron';
import { fileURLToPath } from 'node:url';
import { createSecretStore } from '../core/secrets/secretStore.ts';
import { decideNavigation } from './navigation.ts';
import { BackendSupervisor, type BackendChild, type SupervisorState } from './supervisor.ts';
import { trayView, type TrayColour } from './trayView.ts';

const BACKEND_ENTRY = fileURLToPath(new URL('./backendProcess.mjs', import.meta.url));
const RENDERER_DIR = fileURLToPath(new URL('../../renderer/dist', import.meta.url));
const log = (line: string) => console.log(`[spec2tickets] ${line}`);

function spawnBackend(): BackendChild {
  const child = utilityProcess.fork(BACKEND_ENTRY, [], { serviceName: 'Spec2Tickets backend', stdio: 'inherit' });
  return {
    postMessage: (m) => child.postMessage(m),
    kill: () => void child.kill(),
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener) => void child.on('exit', listener),
  };
}

const COLOURS: Record<TrayColour, [number, number, number]> = {
  grey: [128, 128, 128],
  blue: [52, 120, 246],
  green: [46, 160, 67],
  amber: [219, 148, 0],
  red: [207, 34, 46],
};

/** A filled dot in the state's colour, drawn here so the tray needs no image files. */
function dot(colour: TrayColour, size = 16): NativeImage {
  const [r, g, b] = COLOURS[colour];
  const buf = Buffer.alloc(size * size * 4);
  const c = (size - 1) / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      const alpha = Math.max(0, Math.min(1, size / 2 - 0.5 - d + 0.5));
      const i = (y * size + x) * 4;
      buf[i] = b; // BGRA
      buf[i + 1] = g;
      buf[i + 2] = r;
      buf[i + 3] = Math.round(alpha * 255);
    }
  }
  return nativeImage.createFromBitmap(buf, { width: size, height: size });
}

async function main(): Promise<void> {
  const { store: secrets, note } = await createSecretStore({ env: process.env });
  log(note);
  const supervisor = new BackendSupervisor({
    spawn: spawnBackend,
    secrets,
    startOptions: { version: app.getVersion(), rendererDir: RENDERER_DIR },
    log,
  });

  let window: BrowserWindow | undefined;
  let adminUrl: string | undefined;
  let adminOrigin: string | undefined;
  let tray: Tray | undefined;
  let countdown: NodeJS.Timeout | undefined;

  // The admin page needs no device, camera, notification or other permission.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));

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

  const renderTray = (s: SupervisorState) => {
    if (!tray) return;
    const view = trayView(s, Date.now());
    tray.setImage(dot(view.colour));
    tray.setToolTip(view.status);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: view.status, enabled: false },
        { type: 'separator' },
        { label: 'Open Spec2Tickets', enabled: adminUrl !== undefined, click: openWindow },
        { label: 'Restart backend', click: () => void supervisor.restart() },
        { type: 'separator' },
        { label: 'Quit', click: () => app.quit() },
      ]),
    );
    if (window) window.setTitle(view.status);
  };

  try {
    tray = new Tray(dot('grey'));
    tray.on('click', openWindow);
  } catch (err) {
    log(`no tray on this desktop (${(err as Error).message}); closing the window quits the app`);
  }

  supervisor.onChange((s) => {
    renderTray(s);
    clearInterval(countdown);
    if (s.phase === 'restarting') countdown = setInterval(() => renderTray(supervisor.state()), 1000);
    if (s.phase === 'running' && s.adminUrl !== adminUrl) {
      // A restarted backend has a new session token: reload the window with it.
      adminUrl = s.adminUrl;
      adminOrigin = new URL(s.adminUrl).origin;
      if (window) void window.loadURL(adminUrl);
      else openWindow();
    }
    if (s.phase === 'failed') log(s.error);
  });
  renderTray(supervisor.state());

  app.on('second-instance', openWindow);
  app.on('activate', openWindow);
  app.on('window-all-closed', () => {
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
    void supervisor.stop().finally(() => {
      stopped = true;
      tray?.destroy();
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
