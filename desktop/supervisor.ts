// Keeps one backend process alive for the desktop app: spawns it, hands it its secrets over the
// message port, waits for it with timeouts, restarts it with backoff when it dies, and gives up
// (until the user asks again) when it keeps dying. It also writes secrets the admin saves to the
// shell's store (the OS keychain). The process, the clock and the store are passed in, so this
// state machine runs the same under Electron (utilityProcess) and in tests (a fake child).

import type { ModelStatus } from '../core/model/types.ts';
import { SECRET_NAMES, type SecretName, type SecretStore } from '../core/secrets/secretStore.ts';
import { CHANNEL, parseFromBackend, type FromBackend, type StartMessage, type ToBackend } from './channels.ts';

/** What the supervisor needs of a backend process (an Electron UtilityProcess, wrapped). */
export interface BackendChild {
  postMessage(message: ToBackend): void;
  /** Ends the process now (SIGTERM); `exit` follows. */
  kill(): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number) => void): void;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RestartPolicy {
  /** Wait for the process to say hello on its port. */
  helloTimeoutMs: number;
  /** Wait for both listeners after the start message. */
  startTimeoutMs: number;
  /** While starting, a model that reports loading or downloading gets this long instead (large models load slowly). */
  modelLoadTimeoutMs: number;
  /** Wait for a clean exit after the stop message before killing it. */
  stopTimeoutMs: number;
  /** First restart delay; doubles with each failure in the window, up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Give up after more than this many failures within windowMs. */
  maxRestarts: number;
  windowMs: number;
}

export const DEFAULT_POLICY: RestartPolicy = {
  helloTimeoutMs: 15_000,
  startTimeoutMs: 30_000,
  modelLoadTimeoutMs: 10 * 60_000,
  stopTimeoutMs: 10_000,
  backoffMs: 1_000,
  maxBackoffMs: 30_000,
  maxRestarts: 5,
  windowMs: 5 * 60_000,
};

export type BackendPhase =
  | { phase: 'idle' }
  | { phase: 'starting'; attempt: number }
  | { phase: 'running'; adminUrl: string; publicUrl: string }
  | { phase: 'restarting'; error: string; retryAt: number; failures: number }
  | { phase: 'failed'; error: string }
  | { phase: 'stopping' }
  | { phase: 'stopped' };

export type SupervisorState = BackendPhase & { model: ModelStatus | undefined };

export interface SupervisorOptions {
  spawn: () => BackendChild;
  /** The shell's secret store (the OS keychain when there is one). */
  secrets: SecretStore;
  /** Everything in the start message except the secrets, which are read fresh on every start. */
  startOptions: Omit<StartMessage, 'type' | 'secrets' | 'secretStore'>;
  clock?: Clock;
  policy?: Partial<RestartPolicy>;
  /** Notes for the log (never secrets). */
  log?: (line: string) => void;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export class BackendSupervisor {
  private readonly clock: Clock;
  private readonly policy: RestartPolicy;
  private readonly log: (line: string) => void;
  private phase: BackendPhase = { phase: 'idle' };
  private model: ModelStatus | undefined;
  private child: BackendChild | undefined;
  /** Increments per spawned child, so late events of a replaced child are ignored. */
  private generation = 0;
  private attempt = 0;
  private failures: number[] = [];
  private timer: unknown;
  private readonly listeners = new Set<(s: SupervisorState) => void>();
  private exitWaiters: Array<() => void> = [];

  constructor(private readonly o: SupervisorOptions) {
    this.clock = o.clock ?? systemClock;
    this.policy = { ...DEFAULT_POLICY, ...o.policy };
    this.log = o.log ?? (() => {});
  }

  state(): SupervisorState {
    return { ...this.phase, model: this.model };
  }

  onChange(listener: (s: SupervisorState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts the backend unless one is running or starting. */
  start(): void {
    if (this.phase.phase === 'starting' || this.phase.phase === 'running' || this.phase.phase === 'stopping') return;
    this.clearTimer();
    this.spawnChild();
  }

  /** The user's "Restart backend": forgets earlier failures, stops the current process, starts anew. */
  async restart(): Promise<void> {
    this.failures = [];
    await this.stop();
    this.spawnChild();
  }

  /** Asks the backend to stop and waits for it to exit (killing it after stopTimeoutMs). */
  async stop(): Promise<void> {
    this.clearTimer();
    const child = this.child;
    if (!child) {
      if (this.phase.phase !== 'idle') this.setPhase({ phase: 'stopped' });
      return;
    }
    this.setPhase({ phase: 'stopping' });
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    // Armed before asking, since the process may exit at once.
    this.timer = this.clock.setTimeout(() => {
      this.log(`backend did not stop within ${seconds(this.policy.stopTimeoutMs)}; killing it`);
      child.kill();
      this.timer = this.clock.setTimeout(() => {
        // Never hang the quit on a process that ignores even the kill: forget it.
        this.timer = undefined;
        this.log(`backend process did not exit within ${seconds(this.policy.stopTimeoutMs)} of being killed; leaving it`);
        this.generation += 1;
        this.onChildExit(-1);
      }, this.policy.stopTimeoutMs);
    }, this.policy.stopTimeoutMs);
    try {
      child.postMessage({ type: CHANNEL.stop });
    } catch {
      child.kill();
    }
    await exited;
  }

  private setPhase(phase: BackendPhase): void {
    this.phase = phase;
    this.emit();
  }

  private emit(): void {
    const s = this.state();
    for (const l of this.listeners) l(s);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private spawnChild(): void {
    const generation = ++this.generation;
    this.attempt += 1;
    this.model = undefined;
    this.setPhase({ phase: 'starting', attempt: this.attempt });
    let child: BackendChild;
    try {
      child = this.o.spawn();
    } catch (err) {
      this.fail(`the backend process could not be started: ${(err as Error).message}`);
      return;
    }
    this.child = child;
    const current = () => generation === this.generation;
    child.onMessage((raw) => {
      if (!current()) return;
      let msg: FromBackend;
      try {
        msg = parseFromBackend(raw);
      } catch (err) {
        this.log((err as Error).message);
        return;
      }
      this.onBackendMessage(child, msg);
    });
    child.onExit((code) => {
      if (!current()) return;
      this.onChildExit(code);
    });
    this.armTimer(this.policy.helloTimeoutMs, `backend process did not answer within ${seconds(this.policy.helloTimeoutMs)} of starting`);
  }

  private armTimer(ms: number, message: string): void {
    this.clearTimer();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.fail(message);
    }, ms);
  }

  private onBackendMessage(child: BackendChild, msg: FromBackend): void {
    switch (msg.type) {
      case CHANNEL.hello:
        if (this.phase.phase !== 'starting') return;
        this.armTimer(this.policy.startTimeoutMs, `backend start timed out after ${seconds(this.policy.startTimeoutMs)}`);
        void this.sendStart(child);
        return;
      case CHANNEL.ready:
        if (this.phase.phase !== 'starting') return;
        this.clearTimer();
        this.setPhase({ phase: 'running', adminUrl: msg.adminUrl, publicUrl: msg.publicUrl });
        return;
      case CHANNEL.modelStatus:
        this.model = msg.status;
        if (this.phase.phase === 'starting' && (msg.status.state === 'loading' || msg.status.state === 'downloading')) {
          const min = Math.round(this.policy.modelLoadTimeoutMs / 60_000);
          this.armTimer(this.policy.modelLoadTimeoutMs, `backend start timed out: the model was still ${msg.status.state} after ${min} min`);
        }
        this.emit();
        return;
      case CHANNEL.fatal:
        this.fail(msg.message);
        return;
      case CHANNEL.secretWrite:
        void this.writeSecret(child, msg.id, msg.name, msg.value);
        return;
      default:
        void (msg satisfies never);
    }
  }

  private async sendStart(child: BackendChild): Promise<void> {
    const generation = this.generation;
    const secrets: Partial<Record<SecretName, string>> = {};
    try {
      for (const name of SECRET_NAMES) {
        const v = await this.o.secrets.get(name);
        if (v) secrets[name] = v;
      }
    } catch (err) {
      // The backend still starts: the admin screen says the token is missing and where to set it.
      this.log(`could not read secrets from the ${this.o.secrets.kind} store: ${(err as Error).message}`);
    }
    if (generation !== this.generation) return;
    child.postMessage({
      type: CHANNEL.start,
      secrets,
      secretStore: { kind: this.o.secrets.kind, writable: this.o.secrets.writable },
      ...this.o.startOptions,
    });
  }

  private async writeSecret(child: BackendChild, id: number, name: SecretName, value: string | null): Promise<void> {
    let reply: ToBackend;
    try {
      if (value === null) await this.o.secrets.delete(name);
      else await this.o.secrets.set(name, value);
      reply = { type: CHANNEL.secretWriteResult, id, ok: true };
    } catch (err) {
      reply = { type: CHANNEL.secretWriteResult, id, ok: false, message: (err as Error).message };
    }
    if (this.child === child) child.postMessage(reply);
  }

  /** The current process failed (timeout, fatal message): end it; onChildExit schedules what follows. */
  private fail(message: string): void {
    this.log(message);
    if (this.phase.phase === 'stopping') return;
    const child = this.child;
    if (!child) {
      this.scheduleRestart(message);
      return;
    }
    this.pendingError = message;
    // A process that ignores the kill must not block the restart forever. Armed before the kill,
    // since the process may exit at once.
    this.armExitGrace(child);
    child.kill();
  }

  private pendingError: string | undefined;

  private armExitGrace(child: BackendChild): void {
    this.clearTimer();
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.child !== child) return;
      this.log(`backend process did not exit within ${seconds(this.policy.stopTimeoutMs)} of being killed`);
      this.generation += 1;
      this.child = undefined;
      const error = this.pendingError ?? 'backend process did not exit';
      this.pendingError = undefined;
      this.scheduleRestart(error);
    }, this.policy.stopTimeoutMs);
  }

  private onChildExit(code: number): void {
    this.clearTimer();
    this.child = undefined;
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    if (this.phase.phase === 'stopping') {
      this.pendingError = undefined;
      this.model = undefined;
      this.setPhase({ phase: 'stopped' });
      for (const w of waiters) w();
      return;
    }
    const error = this.pendingError ?? `backend exited unexpectedly (exit code ${code})`;
    this.pendingError = undefined;
    for (const w of waiters) w();
    this.scheduleRestart(error);
  }

  private scheduleRestart(error: string): void {
    const now = this.clock.now();
    this.failures = [...this.failures.filter((t) => now - t < this.policy.windowMs), now];
    const n = this.failures.length;
    this.model = { state: 'error', message: error };
    if (n > this.policy.maxRestarts) {
      this.setPhase({
        phase: 'failed',
        error: `${error}. The backend failed ${n} times within ${Math.round(this.policy.windowMs / 60_000)} min, so it is not restarted again; choose "Restart backend" in the tray menu after fixing the cause`,
      });
      return;
    }
    const delay = Math.min(this.policy.backoffMs * 2 ** (n - 1), this.policy.maxBackoffMs);
    this.setPhase({ phase: 'restarting', error, retryAt: now + delay, failures: n });
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.spawnChild();
    }, delay);
  }
}
