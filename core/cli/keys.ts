// `spec2tickets keys create|list|rotate|revoke`: API keys for the Forge app, managed on the same
// data folder as the running backend (SQLite's busy timeout lets both work at once). A new key is
// printed once and never again.

import type { Command } from 'commander';
import { DEFAULT_ROTATION_GRACE_HOURS, MAX_ROTATION_GRACE_HOURS, type ApiKeyService } from '../server/apiKeys.ts';
import { loadServeConfig } from './serve.ts';
import { CliInputError } from './generate.ts';
import { readRunningBackend } from '../server/runningBackend.ts';

export interface KeysIo {
  out: (text: string) => void;
  /** Notes for the person (which data folder, whether a backend serves it); stderr by default. */
  err?: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

interface KeysFlags {
  dataDir?: string;
  json?: boolean;
  /** rotate: hours the old key keeps working (default 24). */
  graceHours?: string;
}

const actor = (env: NodeJS.ProcessEnv) => `cli:${env.USER ?? env.USERNAME ?? 'unknown'}`;

async function withKeys<T>(flags: KeysFlags, io: KeysIo, fn: (keys: ApiKeyService) => Promise<T>): Promise<T> {
  const { config } = loadServeConfig({ dataDir: flags.dataDir }, io.env);
  // Loaded when a keys command runs, so other commands start without SQLite.
  const [{ SqliteJobStore }, { ApiKeyService }] = await Promise.all([import('../store/sqliteStore.ts'), import('../server/apiKeys.ts')]);
  const store = new SqliteJobStore({ dataDir: config.dataDir });
  try {
    return await fn(new ApiKeyService({ store }));
  } finally {
    store.close();
    io.err?.(dataFolderNote(config.dataDir));
  }
}

/** Says which data folder the keys live in, and warns when no backend serves it (the key would go unseen). */
function dataFolderNote(dataDir: string): string {
  const running = readRunningBackend(dataDir);
  if (running) return `Data folder: ${dataDir} (the backend running there, process ${running.pid}, sees these keys at once).\n`;
  return [
    `Data folder: ${dataDir}`,
    'Warning: no backend is running on this data folder. A backend started with another data folder (another user,',
    '--data-dir or SPEC2TICKETS_DATA_DIR) will not know these keys; run this command as that user or with its --data-dir.',
    '',
  ].join('\n');
}

export async function runKeys(command: 'create' | 'list' | 'rotate' | 'revoke', arg: string | undefined, flags: KeysFlags, io: KeysIo): Promise<void> {
  const print = (human: string, data: unknown) => io.out(flags.json ? `${JSON.stringify(data)}\n` : `${human}\n`);
  await withKeys(flags, io, async (keys) => {
    if (command === 'create') {
      const k = await keys.create(arg ?? '', actor(io.env)).catch((e: Error) => {
        throw new CliInputError(e.message);
      });
      print(`Created API key "${k.name}" (id ${k.id}). Copy it now; it is not shown again:\n${k.key}`, k);
    } else if (command === 'list') {
      const list = await keys.list();
      const now = new Date().toISOString();
      const state = (revokedAt: string | null) => (!revokedAt ? '' : revokedAt > now ? `  ROTATED, valid until ${revokedAt}` : `  REVOKED ${revokedAt}`);
      const lines = list.map((k) => `${k.id}  ${k.prefix}…  ${k.name}  created ${k.createdAt}  last used ${k.lastUsedAt ?? 'never'}${state(k.revokedAt)}`);
      print(lines.length ? lines.join('\n') : 'No API keys yet; create one with: spec2tickets keys create <name>', list);
    } else if (command === 'rotate') {
      const hours = flags.graceHours === undefined ? DEFAULT_ROTATION_GRACE_HOURS : Number(flags.graceHours);
      if (!Number.isFinite(hours) || hours < 0 || hours > MAX_ROTATION_GRACE_HOURS) {
        throw new CliInputError(`--grace-hours must be a number of hours from 0 to ${MAX_ROTATION_GRACE_HOURS} (got "${flags.graceHours}").`);
      }
      const k = await keys.rotate(arg ?? '', actor(io.env), hours);
      if (!k) throw new CliInputError(`There is no active API key with id "${arg}" (see: spec2tickets keys list)`);
      const old = hours === 0 ? 'The old key is revoked now.' : `The old key keeps working for ${hours} h, so the Forge app can be switched over; revoke it sooner with: spec2tickets keys revoke ${arg}.`;
      print(`Rotated. ${old} New key for "${k.name}" (id ${k.id}); copy it now:\n${k.key}`, { ...k, graceHours: hours });
    } else {
      if (!(await keys.revoke(arg ?? '', actor(io.env)))) throw new CliInputError(`There is no active API key with id "${arg}" (see: spec2tickets keys list)`);
      print(`Revoked API key ${arg}.`, { id: arg, revoked: true });
    }
  });
}

export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('manage the API keys the Forge app uses to call this backend');
  const io = (): KeysIo => ({ out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t), env: process.env });
  const common = (c: Command) => c.option('--data-dir <dir>', 'data folder of the backend').option('--json', 'print JSON for scripts');
  common(keys.command('create <name>').description('create a key (printed once)')).action((name: string, f: KeysFlags) => runKeys('create', name, f, io()));
  common(keys.command('list').description('list keys (prefix, name, last use; never the key)')).action((f: KeysFlags) => runKeys('list', undefined, f, io()));
  common(keys.command('rotate <id>').description('issue a new key with the same name; the old one keeps working for a grace period, then is refused'))
    .option('--grace-hours <hours>', `hours the old key keeps working (0 revokes it at once); default ${DEFAULT_ROTATION_GRACE_HOURS}`)
    .action((id: string, f: KeysFlags) => runKeys('rotate', id, f, io()));
  common(keys.command('revoke <id>').description('revoke a key at once')).action((id: string, f: KeysFlags) => runKeys('revoke', id, f, io()));
}
