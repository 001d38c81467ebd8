// Backend configuration: where each setting comes from and what it must look like.
// Precedence: command-line flag > environment > .env file > config.json in the data folder >
// built-in defaults. Every value is validated here, at the edge, with a message naming where the
// bad value came from, so the rest of the backend can trust a typed Config.

import { existsSync, readFileSync } from 'node:fs';
import { protectSecretFile } from './privateFiles.ts';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { PROJECT_KEY_PATTERN, ProjectKeySchema } from '../jira/projectKey.ts';

export interface Config {
  dataDir: string;
  publicHost: string;
  publicPort: number;
  adminPort: number;
  /** Path of a .gguf model file, or undefined for the drafter (no model). */
  model: string | undefined;
  siteUrl: string | undefined;
  atlassianEmail: string | undefined;
  jiraProjectKey: string | undefined;
  /** Projects a job from Forge may ask for; empty means any. */
  allowedProjects: string[];
  retentionDays: number;
  /** Public API requests per minute per key (token bucket refill), and the burst allowed. */
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  /**
   * The Jira issue type (name or id) each breakdown level is created as; undefined picks by the
   * project's hierarchy (Epic; Story, else Task; Sub-task).
   */
  issueTypeEpic: string | undefined;
  issueTypeStory: string | undefined;
  issueTypeSubtask: string | undefined;
  /** Language the model writes breakdowns in (e.g. en, de, pt-BR); undefined = each page's own language. */
  outputLanguage: string | undefined;
  /** How long one job's generation may take before it is stopped and the job fails with the reason. */
  generationTimeoutMinutes: number;
  /**
   * Which engine writes breakdowns: the drafter, the embedded model (`model`), or an
   * OpenAI-compatible inference server (`inference*`); undefined = the embedded model when one is
   * configured, else the drafter. The Models page can switch it at run time.
   */
  engine: 'drafter' | 'embedded' | 'openai' | undefined;
  /** Base URL of the OpenAI-compatible inference server (vLLM, llama-server, Ollama); its API key is a secret. */
  inferenceUrl: string | undefined;
  /** The model name that server serves. */
  inferenceModel: string | undefined;
  inferenceTimeoutSeconds: number;
  /** Requests sent to the server at once (it batches them). */
  inferenceMaxParallel: number;
  /** Context size to plan requests for, when the server does not report one (Ollama) or to use less. */
  inferenceContextSize: number | undefined;
  inferenceServerKind: 'auto' | 'vllm' | 'llama-server' | 'ollama' | 'openai';
  /** Hosts models may be downloaded from besides Hugging Face's (https only; subdomains included). */
  modelDownloadHosts: string[];
  /** Folders the admin allows model files to be imported from (default: the home folder). */
  modelImportDirs: string[];
}

export type ConfigKey = keyof Config;
export type ConfigSource = 'flag' | 'env' | 'dotenv' | 'file' | 'settings' | 'default';

const port = z.coerce.number({ message: 'must be a port number' }).int('must be a port number').min(0, 'must be a port number').max(65535, 'must be a port number');
const positiveInt = (max: number) => z.coerce.number({ message: 'must be a whole number' }).int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`);
const text = z.string().trim().min(1, 'must not be empty');
const language = z
  .string()
  .trim()
  .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a language code such as en, de, fr or pt-BR');
const issueType = z.string().trim().min(1, 'must not be empty').max(255, 'must be an issue type name or id of at most 255 characters');
/** 127.0.0.0/8, ::1 and localhost: traffic that never leaves this machine. */
function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

const siteUrl = z
  .string()
  .trim()
  .url('must be a URL such as https://example.atlassian.net')
  .refine(
    (u) => {
      const url = new URL(u);
      return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
    },
    'must start with https:// (http:// would send the Atlassian API token in clear; it is accepted only for a site on this machine, such as a local test site)',
  )
  .transform((u) => u.replace(/\/+$/, ''));

/** Comma-separated project keys (or a list in config.json); empty means any project. */
const allowedProjects = z
  .union([z.string(), z.array(z.string())], { message: 'must be Jira project keys separated by commas, e.g. PAY,TEAM' })
  .transform((v) => [...new Set((Array.isArray(v) ? v : v.split(',')).map((k) => k.trim()).filter(Boolean))])
  .refine((keys) => keys.every((k) => PROJECT_KEY_PATTERN.test(k)), 'must be Jira project keys separated by commas, e.g. PAY,TEAM (capital letters, digits)');

/** What each setting must look like: one schema per key, shared by config and saved settings. */
export const FIELD_SCHEMAS = {
  dataDir: text,
  publicHost: text,
  publicPort: port,
  adminPort: port,
  model: text,
  siteUrl,
  atlassianEmail: z.string().trim().email('must be an email address'),
  jiraProjectKey: ProjectKeySchema,
  allowedProjects,
  retentionDays: positiveInt(3650),
  rateLimitPerMinute: positiveInt(100_000),
  rateLimitBurst: positiveInt(10_000),
  issueTypeEpic: issueType,
  issueTypeStory: issueType,
  issueTypeSubtask: issueType,
  outputLanguage: language,
  generationTimeoutMinutes: positiveInt(24 * 60),
  engine: z.enum(['drafter', 'embedded', 'openai'], { message: 'must be drafter, embedded or openai' }),
  inferenceUrl: z
    .string()
    .trim()
    .url('must be the inference server URL such as http://gpu-box:8000/v1')
    .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must start with http:// or https://'),
  inferenceModel: z.string().trim().min(1, 'must not be empty').max(300, 'must be at most 300 characters'),
  inferenceTimeoutSeconds: positiveInt(3600),
  inferenceMaxParallel: positiveInt(256),
  inferenceContextSize: z.coerce.number({ message: 'must be a whole number' }).int('must be a whole number').min(512, 'must be at least 512').max(1_048_576, 'must be at most 1048576'),
  inferenceServerKind: z.enum(['auto', 'vllm', 'llama-server', 'ollama', 'openai'], { message: 'must be auto, vllm, llama-server, ollama or openai' }),
  modelDownloadHosts: z
    .union([z.string(), z.array(z.string())], { message: 'must be host names separated by commas, e.g. models.example.com' })
    .transform((v) => [...new Set((Array.isArray(v) ? v : v.split(',')).map((h) => h.trim().toLowerCase()).filter(Boolean))])
    .refine((hosts) => hosts.every((h) => /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(h)), 'must be host names (not addresses or URLs) separated by commas, e.g. models.example.com'),
  modelImportDirs: z
    .union([z.string(), z.array(z.string())], { message: 'must be absolute folder paths separated by commas' })
    .transform((v) => [...new Set((Array.isArray(v) ? v : v.split(',')).map((d) => d.trim()).filter(Boolean))])
    .refine((dirs) => dirs.every((d) => d.startsWith('/') || /^[A-Za-z]:[\\/]/.test(d)), 'must be absolute folder paths separated by commas'),
} satisfies Record<ConfigKey, z.ZodType>;

export const ENV_NAMES: Record<ConfigKey, string> = {
  dataDir: 'SPEC2TICKETS_DATA_DIR',
  publicHost: 'SPEC2TICKETS_PUBLIC_HOST',
  publicPort: 'SPEC2TICKETS_PUBLIC_PORT',
  adminPort: 'SPEC2TICKETS_ADMIN_PORT',
  model: 'SPEC2TICKETS_MODEL',
  siteUrl: 'SPEC2TICKETS_SITE_URL',
  atlassianEmail: 'SPEC2TICKETS_ATLASSIAN_EMAIL',
  jiraProjectKey: 'SPEC2TICKETS_JIRA_PROJECT',
  allowedProjects: 'SPEC2TICKETS_ALLOWED_PROJECTS',
  retentionDays: 'SPEC2TICKETS_RETENTION_DAYS',
  rateLimitPerMinute: 'SPEC2TICKETS_RATE_LIMIT_PER_MINUTE',
  rateLimitBurst: 'SPEC2TICKETS_RATE_LIMIT_BURST',
  issueTypeEpic: 'SPEC2TICKETS_ISSUE_TYPE_EPIC',
  issueTypeStory: 'SPEC2TICKETS_ISSUE_TYPE_STORY',
  issueTypeSubtask: 'SPEC2TICKETS_ISSUE_TYPE_SUBTASK',
  outputLanguage: 'SPEC2TICKETS_OUTPUT_LANGUAGE',
  generationTimeoutMinutes: 'SPEC2TICKETS_GENERATION_TIMEOUT_MINUTES',
  engine: 'SPEC2TICKETS_ENGINE',
  inferenceUrl: 'SPEC2TICKETS_INFERENCE_URL',
  inferenceModel: 'SPEC2TICKETS_INFERENCE_MODEL',
  inferenceTimeoutSeconds: 'SPEC2TICKETS_INFERENCE_TIMEOUT_SECONDS',
  inferenceMaxParallel: 'SPEC2TICKETS_INFERENCE_MAX_PARALLEL',
  inferenceContextSize: 'SPEC2TICKETS_INFERENCE_CONTEXT_SIZE',
  inferenceServerKind: 'SPEC2TICKETS_INFERENCE_SERVER_KIND',
  modelDownloadHosts: 'SPEC2TICKETS_MODEL_DOWNLOAD_HOSTS',
  modelImportDirs: 'SPEC2TICKETS_MODEL_IMPORT_DIRS',
};

const kebab = (k: string): string => k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function defaultDataDir(env: NodeJS.ProcessEnv, home = homedir()): string {
  const xdg = env.XDG_DATA_HOME;
  return join(xdg && xdg.trim() ? xdg : join(home, '.local', 'share'), 'spec2tickets');
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is invalid:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Values from command-line flags (already named like Config keys); undefined = not given. */
  flags?: Partial<Record<ConfigKey, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** The .env file to read; defaults to .env in the working directory. */
  dotenvPath?: string;
  cwd?: string;
  home?: string;
}

export interface LoadedConfig {
  config: Config;
  sources: Record<ConfigKey, ConfigSource>;
  /** Values that came from flags or the environment: admin settings cannot override these. */
  pinned: ReadonlySet<ConfigKey>;
}

const DEFAULTS: Omit<Config, 'dataDir'> = {
  publicHost: '127.0.0.1',
  publicPort: 8787,
  adminPort: 8788,
  model: undefined,
  siteUrl: undefined,
  atlassianEmail: undefined,
  jiraProjectKey: undefined,
  allowedProjects: [],
  retentionDays: 30,
  rateLimitPerMinute: 120,
  rateLimitBurst: 30,
  issueTypeEpic: undefined,
  issueTypeStory: undefined,
  issueTypeSubtask: undefined,
  outputLanguage: undefined,
  generationTimeoutMinutes: 30,
  engine: undefined,
  inferenceUrl: undefined,
  inferenceModel: undefined,
  inferenceTimeoutSeconds: 300,
  inferenceMaxParallel: 4,
  inferenceContextSize: undefined,
  inferenceServerKind: 'auto',
  modelDownloadHosts: [],
  modelImportDirs: [],
};

/** The .env file loadConfig reads (given path, else .env in the working directory), parsed; {} when absent. */
export function readDotenv(o: Pick<LoadConfigOptions, 'dotenvPath' | 'cwd'> = {}): { file: string; values: NodeJS.Dict<string> } {
  const file = o.dotenvPath ?? join(o.cwd ?? process.cwd(), '.env');
  if (!existsSync(file)) return { file, values: {} };
  // It may hold the Atlassian API token: this user's alone.
  protectSecretFile(file);
  return { file, values: parseEnv(readFileSync(file, 'utf8')) };
}

export function loadConfig(o: LoadConfigOptions = {}): LoadedConfig {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const problems: string[] = [];
  const { file: dotenvFile, values: dotenv } = readDotenv({ dotenvPath: o.dotenvPath, cwd });

  const raw = new Map<ConfigKey, { value: unknown; source: ConfigSource; where: string }>();
  const keys = Object.keys(FIELD_SCHEMAS) as ConfigKey[];
  for (const key of keys) {
    const flag = o.flags?.[key];
    const envName = ENV_NAMES[key];
    if (flag !== undefined) raw.set(key, { value: flag, source: 'flag', where: `--${kebab(key)}` });
    else if (env[envName] !== undefined && env[envName] !== '') raw.set(key, { value: env[envName], source: 'env', where: envName });
    else if (dotenv[envName] !== undefined && dotenv[envName] !== '') raw.set(key, { value: dotenv[envName], source: 'dotenv', where: `${envName} (in ${dotenvFile})` });
  }

  const dataDirRaw = raw.get('dataDir');
  const dataDir = resolve(cwd, typeof dataDirRaw?.value === 'string' ? dataDirRaw.value : defaultDataDir(env, o.home));
  const configFile = join(dataDir, 'config.json');
  if (existsSync(configFile)) {
    let fileValues: unknown;
    try {
      fileValues = JSON.parse(readFileSync(configFile, 'utf8'));
    } catch (err) {
      problems.push(`${configFile} is not valid JSON: ${(err as Error).message}`);
    }
    if (fileValues !== undefined && (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues))) {
      problems.push(`${configFile} must hold a JSON object`);
    } else if (fileValues) {
      for (const [k, v] of Object.entries(fileValues)) {
        if (!(k in FIELD_SCHEMAS)) problems.push(`${configFile}: unknown setting "${k}" (known: ${keys.join(', ')})`);
        else if (k !== 'dataDir' && !raw.has(k as ConfigKey)) raw.set(k as ConfigKey, { value: v, source: 'file', where: `${k} in ${configFile}` });
      }
    }
  }

  const config: Record<string, unknown> = { ...DEFAULTS, dataDir };
  const sources = Object.fromEntries(keys.map((k) => [k, 'default'])) as Record<ConfigKey, ConfigSource>;
  for (const [key, { value, source, where }] of raw) {
    if (key === 'dataDir') {
      sources.dataDir = source;
      continue;
    }
    const r = FIELD_SCHEMAS[key].safeParse(value);
    if (r.success) {
      config[key] = r.data;
      sources[key] = source;
    } else {
      problems.push(`${where} ${r.error.issues[0]?.message ?? 'is invalid'}, got ${JSON.stringify(String(value))}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  const pinned = new Set(keys.filter((k) => sources[k] === 'flag' || sources[k] === 'env' || sources[k] === 'dotenv'));
  return { config: config as unknown as Config, sources, pinned };
}
