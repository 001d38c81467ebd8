// Where the Atlassian API token lives. The OS keychain (keytar, service "spec2tickets") when it
// loads and a keychain answers; otherwise the environment, which is read-only: the admin is told
// to set the variable instead. A .env file counts as environment too, below the real environment
// and the keychain (the process environment is what a supervisor hands over; the keychain is what
// the admin saved last). Secret values never appear in errors or logs.

export const SECRET_NAMES = ['atlassianApiToken', 'inferenceApiKey'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

export const SECRET_ENV: Record<SecretName, string> = {
  atlassianApiToken: 'SPEC2TICKETS_ATLASSIAN_API_TOKEN',
  inferenceApiKey: 'SPEC2TICKETS_INFERENCE_API_KEY',
};

/** Secrets only some setups need (an inference server without a key needs none): not reported when unset. */
const OPTIONAL_SECRETS: ReadonlySet<SecretName> = new Set(['inferenceApiKey']);

export const KEYCHAIN_SERVICE = 'spec2tickets';

export interface SecretStore {
  readonly kind: 'keychain' | 'env' | 'memory';
  readonly writable: boolean;
  get(name: SecretName): Promise<string | undefined>;
  /** Throws SecretStoreReadOnlyError on a read-only store. */
  set(name: SecretName, value: string): Promise<void>;
  delete(name: SecretName): Promise<void>;
  /** Where the value `get` returns comes from, or undefined when it is not set (never the value). */
  source(name: SecretName): Promise<SecretSource | undefined>;
}

/** Where a secret's value comes from, as the serve banner and the admin see it. */
export type SecretSource = 'environment' | '.env file' | 'OS keychain' | 'memory';

/** One line for a start banner: where each secret comes from, or how to set a missing one. */
export async function describeSecretSources(store: SecretStore): Promise<string> {
  const parts: string[] = [];
  for (const name of SECRET_NAMES) {
    const from = await store.source(name);
    if (!from && OPTIONAL_SECRETS.has(name)) continue;
    parts.push(from ? `${SECRET_LABELS[name]} from the ${from}` : `${SECRET_LABELS[name]} not set (${SECRET_ENV[name]}${store.writable ? ' or Settings' : ''})`);
  }
  return parts.join(', ');
}

export const SECRET_LABELS: Record<SecretName, string> = {
  atlassianApiToken: 'Atlassian API token',
  inferenceApiKey: 'inference server API key',
};

export class SecretStoreReadOnlyError extends Error {
  readonly code = 'secrets_read_only';
  constructor(name: SecretName) {
    super(
      `No OS keychain is available here, so secrets are read from the environment: set ${SECRET_ENV[name]} for the backend process and restart it`,
    );
    this.name = 'SecretStoreReadOnlyError';
  }
}

/** Secrets a .env file gives, by SecretName: consulted after the environment and the keychain. */
export type DotenvSecrets = Partial<Record<SecretName, string>>;

/** The secrets among a .env file's variables (by their SECRET_ENV names), empty values left out. */
export function secretsFromDotenv(values: NodeJS.Dict<string>): DotenvSecrets {
  const out: DotenvSecrets = {};
  for (const name of SECRET_NAMES) {
    const v = values[SECRET_ENV[name]]?.trim();
    if (v) out[name] = v;
  }
  return out;
}

export class EnvSecretStore implements SecretStore {
  readonly kind = 'env';
  readonly writable = false;
  constructor(
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly dotenv: DotenvSecrets = {},
  ) {}
  async get(name: SecretName): Promise<string | undefined> {
    const v = this.env[SECRET_ENV[name]];
    return v ? v : this.dotenv[name];
  }
  async source(name: SecretName): Promise<SecretSource | undefined> {
    if (this.env[SECRET_ENV[name]]) return 'environment';
    return this.dotenv[name] ? '.env file' : undefined;
  }
  async set(name: SecretName, _value: string): Promise<void> {
    throw new SecretStoreReadOnlyError(name);
  }
  async delete(name: SecretName): Promise<void> {
    throw new SecretStoreReadOnlyError(name);
  }
}

/** Kept in process memory only: for tests and for a desktop shell that hands secrets over at start. */
export class MemorySecretStore implements SecretStore {
  readonly kind = 'memory';
  readonly writable = true;
  private readonly values = new Map<SecretName, string>();
  constructor(initial: Partial<Record<SecretName, string>> = {}) {
    for (const [k, v] of Object.entries(initial)) if (v) this.values.set(k as SecretName, v);
  }
  async get(name: SecretName): Promise<string | undefined> {
    return this.values.get(name);
  }
  async source(name: SecretName): Promise<SecretSource | undefined> {
    return this.values.has(name) ? 'memory' : undefined;
  }
  async set(name: SecretName, value: string): Promise<void> {
    this.values.set(name, value);
  }
  async delete(name: SecretName): Promise<void> {
    this.values.delete(name);
  }
}

interface KeytarApi {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<Array<{ account: string; password: string }>>;
}

export class KeytarSecretStore implements SecretStore {
  readonly kind = 'keychain';
  readonly writable = true;
  constructor(
    private readonly keytar: KeytarApi,
    /** An environment value wins: a supervisor (the desktop app, systemd) may hand the token over directly. */
    private readonly env: NodeJS.ProcessEnv = {},
    private readonly dotenv: DotenvSecrets = {},
  ) {}
  async get(name: SecretName): Promise<string | undefined> {
    const fromEnv = this.env[SECRET_ENV[name]];
    if (fromEnv) return fromEnv;
    return (await this.keytar.getPassword(KEYCHAIN_SERVICE, name)) ?? this.dotenv[name];
  }
  async source(name: SecretName): Promise<SecretSource | undefined> {
    if (this.env[SECRET_ENV[name]]) return 'environment';
    if ((await this.keytar.getPassword(KEYCHAIN_SERVICE, name)) !== null) return 'OS keychain';
    return this.dotenv[name] ? '.env file' : undefined;
  }
  async set(name: SecretName, value: string): Promise<void> {
    await this.keytar.setPassword(KEYCHAIN_SERVICE, name, value);
  }
  async delete(name: SecretName): Promise<void> {
    await this.keytar.deletePassword(KEYCHAIN_SERVICE, name);
  }
}

export interface CreateSecretStoreOptions {
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the keychain to answer before falling back to the environment. */
  probeTimeoutMs?: number;
  /** Skip the keychain entirely (headless servers without a session bus). */
  disableKeychain?: boolean;
  /** Secrets from the .env file (see secretsFromDotenv), used when neither the environment nor the keychain has one. */
  dotenv?: DotenvSecrets;
}

/** The keychain store if keytar loads and a keychain answers in time, else the environment store. */
export async function createSecretStore(o: CreateSecretStoreOptions = {}): Promise<{ store: SecretStore; note: string }> {
  const env = o.env ?? process.env;
  if (o.disableKeychain || env.SPEC2TICKETS_NO_KEYCHAIN === '1') {
    return { store: new EnvSecretStore(env, o.dotenv), note: 'OS keychain disabled (SPEC2TICKETS_NO_KEYCHAIN=1): secrets are read from the environment or .env' };
  }
  let keytar: KeytarApi;
  try {
    const mod = (await import('keytar')) as unknown as { default?: KeytarApi } & KeytarApi;
    keytar = mod.default ?? mod;
  } catch {
    return { store: new EnvSecretStore(env, o.dotenv), note: 'keytar is not installed: secrets are read from the environment or .env' };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      keytar.findCredentials(KEYCHAIN_SERVICE),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('keychain did not answer')), o.probeTimeoutMs ?? 3000);
      }),
    ]);
    return { store: new KeytarSecretStore(keytar, env, o.dotenv), note: 'secrets are kept in the OS keychain' };
  } catch (err) {
    return { store: new EnvSecretStore(env, o.dotenv), note: `no OS keychain (${(err as Error).message}): secrets are read from the environment or .env` };
  } finally {
    clearTimeout(timer);
  }
}
