// Decides when the tray is redrawn: its menu is rebuilt only when what it shows changes (a rebuilt
// menu closes an open one on some desktops, and costs a D-Bus round trip on Linux), and progress
// (download, load) is shown at most once per interval, while every other change shows at once.
// Pure apart from the clock it is given, so it is tested without a tray.

import type { TrayColour } from './trayView.ts';

/** What the tray shows: the status line, the icon colour, and the menu's variable entries. */
export interface TrayContent {
  status: string;
  colour: TrayColour;
  /** "Open Spec2Tickets" is enabled (the admin URL is known). */
  canOpen: boolean;
  /** "Launch at login" is checked. */
  openAtLogin: boolean;
  /** Progress (downloading, loading) changes only the percentage: throttled. */
  progress: boolean;
}

export interface TrayUpdate {
  icon: boolean;
  tooltip: boolean;
  menu: boolean;
}

export class TrayPresenter {
  private shown: TrayContent | undefined;
  private lastAt = Number.NEGATIVE_INFINITY;
  private pending: TrayContent | undefined;
  private timer: unknown;

  constructor(
    private readonly apply: (content: TrayContent, update: TrayUpdate) => void,
    private readonly clock: { now(): number; setTimeout(fn: () => void, ms: number): unknown; clearTimeout(h: unknown): void },
    private readonly progressIntervalMs = 1_000,
  ) {}

  /** Offers new content; applies what changed now, or (progress only) once the interval has passed. */
  show(content: TrayContent): void {
    const prev = this.shown;
    if (prev && sameContent(prev, content)) {
      this.pending = undefined;
      return;
    }
    const onlyProgress = prev !== undefined && prev.progress && content.progress && prev.colour === content.colour && prev.canOpen === content.canOpen && prev.openAtLogin === content.openAtLogin;
    const wait = this.lastAt + this.progressIntervalMs - this.clock.now();
    if (onlyProgress && wait > 0) {
      this.pending = content;
      this.timer ??= this.clock.setTimeout(() => {
        this.timer = undefined;
        const next = this.pending;
        this.pending = undefined;
        if (next) this.show(next);
      }, wait);
      return;
    }
    this.cancel();
    this.shown = content;
    this.lastAt = this.clock.now();
    this.apply(content, {
      icon: !prev || prev.colour !== content.colour,
      tooltip: !prev || prev.status !== content.status,
      menu: !prev || prev.status !== content.status || prev.canOpen !== content.canOpen || prev.openAtLogin !== content.openAtLogin,
    });
  }

  /** Drops a throttled update (on quit). */
  cancel(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}

function sameContent(a: TrayContent, b: TrayContent): boolean {
  return a.status === b.status && a.colour === b.colour && a.canOpen === b.canOpen && a.openAtLogin === b.openAtLogin;
}
