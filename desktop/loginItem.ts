// "Launch at login": Electron's login item on macOS and Windows; on Linux, where Electron has none,
// an XDG autostart entry (~/.config/autostart/spec2tickets.desktop) that starts this executable
// (the AppImage itself when run from one).

import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface LoginItemApi {
  getLoginItemSettings(): { openAtLogin: boolean };
  setLoginItemSettings(s: { openAtLogin: boolean }): void;
}

export function autostartFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'autostart', 'spec2tickets.desktop');
}

export function getOpenAtLogin(app: LoginItemApi, platform: NodeJS.Platform = process.platform, env = process.env): boolean {
  return platform === 'linux' ? existsSync(autostartFile(env)) : app.getLoginItemSettings().openAtLogin;
}

export function setOpenAtLogin(app: LoginItemApi, on: boolean, executable: string, platform: NodeJS.Platform = process.platform, env = process.env): void {
  if (platform !== 'linux') {
    app.setLoginItemSettings({ openAtLogin: on });
    return;
  }
  const file = autostartFile(env);
  if (!on) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(join(file, '..'), { recursive: true });
  const exec = `"${executable.replace(/(["\\`$])/g, '\\$1')}"`;
  writeFileSync(file, ['[Desktop Entry]', 'Type=Application', 'Name=Spec2Tickets', `Exec=${exec}`, 'X-GNOME-Autostart-enabled=true', 'Terminal=false', ''].join('\n'));
}
