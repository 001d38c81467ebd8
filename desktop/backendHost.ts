// The backend as the desktop app runs it: inside the utility process, driven over its parent
// port. Says hello, waits for the start message (configuration and secrets — secrets travel only
// over this port, never argv, environment files or disk), starts the product backend, and reports
// its URLs and every model status change back. Secrets the admin saves are written by the shell
// to the OS keychain; this side keeps them in memory only. Electron-free so tests run it in Node.

import { basename } from 'node:path';
import type { LoadedConfig } from '../core/config/config.ts';
import { loadConfig, type LoadConfigOptions } from '../core/config/config.ts';
import type { Logger } from '../core/jobs/runner.ts';
import type { BreakdownEngine } from '../core/model/types.ts';
import { SecretStoreReadOnlyError, type SecretName, type SecretSource, type SecretStore } from '../core/secrets/secretStore.ts';
import { startBackend, type Backend, type BackendOptions } from '../core/server/backend.ts';
import { ApiError } from '../core/server/httpErrors.ts';
import { productParts } from '../core/server/productParts.ts';
import { startEngine } from '../core/model/createEngine.ts';
import { engineChoicePinned } from '../core/model/engineConfig.ts';
import { CHANNEL, parseToBackend, type FromBackend, type StartMessage, type ToBackend } from './channels.ts';

/** The utility process's parent port, reduced to what the host uses. */
export interface HostPort {
  postMessage(message: FromBackend): void;
  onMessage(listener: (message: unknown) => void): void;
}

export interface BackendHostOptions {
  port: HostPort;
  log: Logger;
  pid: number;
  /** Ends the process; called once the backend is closed (or could not start). */
  exit: (code: number) => void;
  /** Where configuration comes from (environment, .env, config.json); the shell's own process env by default. */
  config?: Omit<LoadConfigOptions, 'flags'>;
  /** Pipeline parts; the product's by default (tests pass a fetch that stays on loopback). */
  parts?: BackendOptions['parts'];
  /** How long to wait for the shell to confirm a secret write. */
  secretWriteTimeoutMs?: number;
}

/** Secrets as the shell handed them over; writes go back to the shell, which owns the keychain. */
export class ShellSecretStore implements SecretStore {
  private readonly values = new Map<SecretName, string>();
  private nextId = 0;
  private readonly pending = new Map<number, { name: SecretName; resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    initial: Partial<Record<SecretName, string>>,
    readonly kind: SecretStore['kind'],
    readonly writable: boolean,
    private readonly send: (message: FromBackend) => void,
    private readonly timeoutMs = 15_000,
  ) {
    for (const [k, v] of Object.entries(initial)) if (v) this.values.set(k as SecretName, v);
  }

  async get(name: SecretName): Promise<string | undefined> {
    return this.values.get(name);
  }

  async source(name: SecretName): Promise<SecretSource | undefined> {
    if (!this.values.has(name)) return undefined;
    return this.kind === 'keychain' ? 'OS keychain' : this.kind === 'env' ? 'environment' : 'memory';
  }

  async set(name: SecretName, value: string): Promise<void> {
    await this.write(name, value);
    this.values.set(name, value);
  }

  async delete(name: SecretName): Promise<void> {
    await this.write(name, null);
    this.values.delete(name);
  }

  /** The shell's answer to a write request. */
  settle(id: number, ok: boolean, message: string | undefined): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    // An ApiError, so the admin screen shows the keychain's reason instead of "internal error".
    if (ok) p.resolve();
    else p.reject(new ApiError(503, 'keychain_write_failed', message ?? 'The desktop app could not save the secret in the OS keychain', [`secrets.${p.name}`]));
  }

  private write(name: SecretName, value: string | null): Promise<void> {
    if (!this.writable) return Promise.reject(new SecretStoreReadOnlyError(name));
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApiError(503, 'keychain_write_failed', `The desktop app did not confirm saving the secret within ${this.timeoutMs / 1000} s; try again`, [`secrets.${name}`]));
      }, this.timeoutMs);
      this.pending.set(id, { name, resolve, reject, timer });
      this.send({ type: CHANNEL.secretWrite, id, name, value });
    });
  }
}

/** Runs the backend host on the given port; resolves when the process may exit. */
export function runBackendHost(o: BackendHostOptions): Promise<number> {
  const send = (m: FromBackend) => o.port.postMessage(m);
  let secrets: ShellSecretStore | undefined;
  let starting: Promise<{ backend: Backend; engine: BreakdownEngine } | undefined> | undefined;
  let finished = false;

  return new Promise<number>((resolveExit) => {
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      resolveExit(code);
      o.exit(code);
    };

    const start = async (m: StartMessage) => {
      let loaded: LoadedConfig;
      try {
        loaded = loadConfig(o.config ?? {});
      } catch (err) {
        send({ type: CHANNEL.fatal, message: (err as Error).message });
        finish(1);
        return undefined;
      }
      secrets = new ShellSecretStore(m.secrets, m.secretStore.kind, m.secretStore.writable, send, o.secretWriteTimeoutMs);
      if (loaded.config.model) send({ type: CHANNEL.modelStatus, status: { state: 'loading', model: basename(loaded.config.model), percent: 0 } });
      const { SwitchableEngine } = await import('../core/model/switchableEngine.ts');
      const engine = new SwitchableEngine({ dataDir: loaded.config.dataDir, pinned: engineChoicePinned(loaded), secrets });
      engine.onStatus((status) => send({ type: CHANNEL.modelStatus, status }));
      // Started, not awaited: the listeners — and so the window and the review queue — open while a
      // model loads (minutes for a large one); the tray shows the loading progress. A generation
      // asked for meanwhile waits for the load (the engine queues it behind the switch).
      void startEngine(engine, loaded.config, { log: o.log, pinned: loaded.pinned });
      send({ type: CHANNEL.modelStatus, status: engine.status() });
      try {
        const backend = await startBackend({
          loaded,
          secrets,
          engine,
          parts: o.parts ?? productParts(),
          log: o.log,
          version: m.version,
          rendererDir: m.rendererDir,
        });
        o.log.info('backend started', { publicUrl: backend.publicUrl, adminUrl: backend.adminBaseUrl, dataDir: loaded.config.dataDir, engine: engine.name });
        send({ type: CHANNEL.ready, adminUrl: backend.adminUrl, publicUrl: backend.publicUrl });
        return { backend, engine };
      } catch (err) {
        await engine.dispose();
        send({ type: CHANNEL.fatal, message: (err as Error).message });
        finish(1);
        return undefined;
      }
    };

    const stop = async () => {
      const running = await starting;
      if (running) {
        await running.backend.close();
        await running.engine.dispose();
      }
      finish(0);
    };

    o.port.onMessage((raw) => {
      let msg: ToBackend;
      try {
        msg = parseToBackend(raw);
      } catch (err) {
        o.log.warn((err as Error).message);
        return;
      }
      switch (msg.type) {
        case CHANNEL.start:
          if (starting) return;
          starting = start(msg).catch((err: Error) => {
            send({ type: CHANNEL.fatal, message: `The backend could not start: ${err.message}` });
            finish(1);
            return undefined;
          });
          return;
        case CHANNEL.stop:
          void stop();
          return;
        case CHANNEL.secretWriteResult:
          secrets?.settle(msg.id, msg.ok, msg.message);
          return;
        default:
          void (msg satisfies never);
      }
    });
    send({ type: CHANNEL.hello, pid: o.pid });
  });
}
