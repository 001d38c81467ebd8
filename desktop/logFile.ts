// The desktop app's log file: one line per entry, appended to <logs folder>/spec2tickets.log, and
// rotated by size (spec2tickets.log → .1.log → .2.log …, the oldest dropped) so a long-running app
// never fills the disk. Lines are written synchronously: a crash loses nothing already logged.
// Secrets never reach it — callers log messages, never configuration values.

import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface RotatingLogOptions {
  dir: string;
  /** File name without extension; default "spec2tickets". */
  name?: string;
  /** Rotate when the current file would grow past this; default 5 MB. */
  maxBytes?: number;
  /** Older files kept besides the current one; default 3. */
  keep?: number;
}

export class RotatingLog {
  readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private size: number;
  private failed = false;

  constructor(private readonly o: RotatingLogOptions) {
    this.maxBytes = o.maxBytes ?? 5 * 1024 * 1024;
    this.keep = o.keep ?? 3;
    this.file = this.path(0);
    mkdirSync(o.dir, { recursive: true });
    this.size = existsSync(this.file) ? statSync(this.file).size : 0;
  }

  private path(i: number): string {
    const name = this.o.name ?? 'spec2tickets';
    return join(this.o.dir, i === 0 ? `${name}.log` : `${name}.${i}.log`);
  }

  /** Appends one line (a newline is added when missing). Never throws: a full disk must not stop the app. */
  write(line: string): void {
    const text = line.endsWith('\n') ? line : `${line}\n`;
    const bytes = Buffer.byteLength(text);
    try {
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.file, text);
      this.size += bytes;
      this.failed = false;
    } catch (err) {
      if (!this.failed) process.stderr.write(`spec2tickets: cannot write the log file ${this.file}: ${(err as Error).message}\n`);
      this.failed = true;
    }
  }

  private rotate(): void {
    rmSync(this.path(this.keep), { force: true });
    for (let i = this.keep - 1; i >= 0; i--) if (existsSync(this.path(i))) renameSync(this.path(i), this.path(i + 1));
    this.size = 0;
  }
}
