// Whether a tray icon will be visible. On Linux, Electron's tray is a StatusNotifierItem, shown
// only when a StatusNotifierWatcher owns its D-Bus name (KDE, XFCE/Cinnamon with their plugins,
// GNOME only with the AppIndicator extension); otherwise it falls back to the old XEmbed tray,
// which GNOME has not drawn since 3.26. There, creating the tray "works" and nothing appears: the
// app must keep the window reachable (closing it quits) and say so.

import { execFile } from 'node:child_process';

export const NO_TRAY_MESSAGE =
  'No tray icon on this desktop (GNOME without the AppIndicator extension): closing the window quits Spec2Tickets. Install "AppIndicator and KStatusNotifierItem Support" to keep it running in the tray.';

/** Asks the session bus whether a StatusNotifierWatcher is there; undefined when it cannot tell. */
export function hasStatusNotifierWatcher(timeoutMs = 2_000): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    execFile(
      'dbus-send',
      ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', 'string:org.kde.StatusNotifierWatcher'],
      { timeout: timeoutMs },
      (err, stdout) => {
        if (err) return resolve(undefined);
        resolve(/boolean true/.test(stdout) ? true : /boolean false/.test(stdout) ? false : undefined);
      },
    );
  });
}

/**
 * Why the tray will not be visible, or undefined when it will (or when this cannot be told: the
 * tray is then assumed to work, as on Windows and macOS).
 */
export function trayMissingReason(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, watcher: boolean | undefined): string | undefined {
  if (platform !== 'linux') return undefined;
  if (env.SPEC2TICKETS_NO_TRAY === '1') return 'No tray icon (SPEC2TICKETS_NO_TRAY=1): closing the window quits Spec2Tickets.';
  const gnome = /gnome|unity|ubuntu/i.test(`${env.XDG_CURRENT_DESKTOP ?? ''}:${env.XDG_SESSION_DESKTOP ?? ''}:${env.DESKTOP_SESSION ?? ''}`);
  if (watcher === false && gnome) return NO_TRAY_MESSAGE;
  return undefined;
}
