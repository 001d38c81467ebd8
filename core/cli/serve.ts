// `spec2tickets serve`: the backend headless (a display-less GPU server, systemd, or a terminal).
// Starts both listeners with the embedded defaults, prints the admin address with its session
// token once, and shuts down cleanly on SIGINT/SIGTERM (running jobs resume on the next start).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadConfig, readDotenv, ConfigError, type ConfigKey, type LoadedConfig } from '../config/config.ts';
import type { Backend } from '../server/backend.ts';
import type { LogLevel } from '../server/logger.ts';
import { CliInputError } from './generate.ts';

export interface ServeFlags {
  publicPort?: string;
  adminPort?: string;
  publicHost?: string;
  dataDir?: string;
  model?: string;
  logLevel?: string;
}

export interface ServeIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Where .env is looked for; default the working directory. */
  cwd?: string;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM by default). */
  stopSignal: () => Promise<string>;
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const RENDERER_DIR = fileURLToPath(new URL('../../renderer/dist', import.meta.url));

export function loadServeConfig(flags: ServeFlags, env: NodeJS.ProcessEnv, cwd?: string): LoadedConfig {
  const f: Partial<Record<ConfigKey, unknown>> = {
    publicPort: flags.publicPort,
    adminPort: flags.adminPort,
    publicHost: flags.publicHost,
    dataDir: flags.dataDir,
    model: flags.model,
  };
  try {
    return loadConfig({ flags: f, env, cwd });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliInputError(err.message);
    throw err;
  }
}

const processSignals = (): Promise<string> =>
  new Promise((resolve) => {
    const on = (sig: string) => () => resolve(sig);
    process.once('SIGINT', on('SIGINT'));
    process.once('SIGTERM', on('SIGTERM'));
  });

/** Runs the backend until a stop signal; resolves after a clean shutdown. */
export async function runServe(flags: ServeFlags, io: ServeIo): Promise<void> {
  const loaded = loadServeConfig(flags, io.env, io.cwd);
  // The backend's modules (express, SQLite, the pipeline) load only when serve runs, so other
  // commands start quickly; the model runtime loads only when a model is (see SwitchableEngine).
  const [{ createSecretStore, describeSecretSources, secretsFromDotenv }, { startBackend }, { createJsonLogger }, { productParts }, { openProductEngine }, { installLastResort }] = await Promise.all([
    import('../secrets/secretStore.ts'),
    import('../server/backend.ts'),
    import('../server/logger.ts'),
    import('../server/productParts.ts'),
    import('../model/createEngine.ts'),
    import('../server/lastResort.ts'),
  ]);
  const level = (['info', 'warn', 'error', 'silent'].includes(flags.logLevel ?? '') ? flags.logLevel : 'info') as LogLevel;
  const log = createJsonLogger(io.err, level);
  // Nothing a background task or a transfer throws ends the process (see lastResort.ts).
  const removeLastResort = installLastResort({ log });
  // The token may sit in .env beside the other settings (read here, never logged or printed).
  const { store: secrets, note } = await createSecretStore({ env: io.env, dotenv: secretsFromDotenv(readDotenv({ cwd: io.cwd }).values) });
  // The engine the configuration (or the admin's saved choice) names: the drafter, the embedded
  // model, or an OpenAI-compatible inference server whose API key is in the secret store.
  const engine = await openProductEngine(loaded, log, { secrets });
  let backend: Backend;
  try {
    backend = await startBackend({ loaded, secrets, engine, parts: productParts(), log, version: VERSION, rendererDir: RENDERER_DIR });
  } catch (err) {
    await engine.dispose();
    throw new CliInputError((err as Error).message);
  }
  const secretLine = await describeSecretSources(secrets);
  io.out(
    [
      `Spec2Tickets ${VERSION} is running (data: ${loaded.config.dataDir}; ${note}; engine: ${engine.name}).`,
      `Secrets: ${secretLine}.`,
      `Public API for Forge: ${backend.publicUrl}/v1`,
      `Admin (this machine only, open once): ${backend.adminUrl}`,
      '',
    ].join('\n'),
  );
  const signal = await io.stopSignal();
  io.out(`Received ${signal}; stopping (running jobs resume on the next start)...\n`);
  await backend.close();
  await engine.dispose();
  removeLastResort();
  io.out('Stopped.\n');
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the backend without the desktop app: the public API for Forge and the local admin listener')
    .option('--public-port <port>', 'port of the public (Forge) listener; default 8787')
    .option('--public-host <host>', 'address of the public listener; default 127.0.0.1 (put a reverse proxy in front)')
    .option('--admin-port <port>', 'port of the admin listener on 127.0.0.1; default 8788')
    .option('--data-dir <dir>', 'data folder (database, config.json); default ~/.local/share/spec2tickets')
    .option('--model <file>', 'a Qwen 2.5 .gguf model file; without one the drafter writes the breakdown')
    .option('--log-level <level>', 'info, warn, error or silent', 'info')
    .action(async (opts: ServeFlags) => {
      await runServe(opts, {
        out: (t) => void process.stdout.write(t),
        err: (t) => void process.stderr.write(t),
        env: process.env,
        stopSignal: processSignals,
      });
    });
}
