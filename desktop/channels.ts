// The messages that cross the boundary between the desktop main process and the backend utility
// process: their names (one `as const` object) and a validator for each direction. Both sides
// parse every message they receive with these, so a malformed message is a TypeError at the edge
// instead of undefined behaviour inside. No Electron import here: the tests load this module in Node.

import { z } from 'zod';
import type { ModelStatus } from '../core/model/types.ts';
import { SECRET_NAMES, type SecretName } from '../core/secrets/secretStore.ts';

export const CHANNEL = {
  /** backend → shell: the process is up and listening on its parent port. */
  hello: 'backend:hello',
  /** backend → shell: both listeners are up. */
  ready: 'backend:ready',
  /** backend → shell: the model status changed. */
  modelStatus: 'backend:model-status',
  /** backend → shell: the backend cannot run; the process exits after this. */
  fatal: 'backend:fatal',
  /** backend → shell: the admin saved or removed a secret; the shell writes it to the OS keychain. */
  secretWrite: 'backend:secret-write',
  /** shell → backend: configuration and secrets to start with. */
  start: 'shell:start',
  /** shell → backend: close the listeners and exit. */
  stop: 'shell:stop',
  /** shell → backend: the outcome of a secret write. */
  secretWriteResult: 'shell:secret-write-result',
} as const;

export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

const text = z.string().min(1).max(10_000);
const httpUrl = z.url({ protocol: /^https?$/ }).max(2_000);
const percent = z.number().min(0).max(100);
const secretName = z.enum(SECRET_NAMES);

const remote = z.object({ host: z.string().min(1).max(300), server: z.string().min(1).max(100) }).strict().optional();
export const ModelStatusSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('absent'), message: z.string().max(10_000).optional() }),
  z.object({
    state: z.literal('downloading'),
    model: text,
    percent,
    bytesPerSecond: z.number().nonnegative().optional(),
    etaSeconds: z.number().nonnegative().optional(),
  }),
  z.object({ state: z.literal('loading'), model: text, percent }),
  z.object({ state: z.literal('ready'), model: text, gpu: z.union([z.string().max(200), z.literal(false)]), note: z.string().max(10_000).optional(), remote }),
  z.object({ state: z.literal('generating'), model: text, queueDepth: z.number().int().nonnegative(), tokensPerSecond: z.number().nonnegative(), remote }),
  z.object({ state: z.literal('error'), message: text, remote }),
]) satisfies z.ZodType<ModelStatus>;

const secretsSchema = z.partialRecord(secretName, z.string().min(1).max(10_000)).transform((r) => r as Partial<Record<SecretName, string>>);

const FromBackendSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal(CHANNEL.hello), pid: z.number().int().positive() }).strict(),
  z.object({ type: z.literal(CHANNEL.ready), adminUrl: httpUrl, publicUrl: httpUrl }).strict(),
  z.object({ type: z.literal(CHANNEL.modelStatus), status: ModelStatusSchema }).strict(),
  z.object({ type: z.literal(CHANNEL.fatal), message: text }).strict(),
  z.object({ type: z.literal(CHANNEL.secretWrite), id: z.number().int().nonnegative(), name: secretName, value: z.string().min(1).max(10_000).nullable() }).strict(),
]);

const ToBackendSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal(CHANNEL.start),
      secrets: secretsSchema,
      /** How the shell keeps secrets, so the admin screen can say where a saved token goes. */
      secretStore: z.object({ kind: z.enum(['keychain', 'env', 'memory']), writable: z.boolean() }).strict(),
      version: z.string().min(1).max(100),
      rendererDir: z.string().min(1).max(4_096).optional(),
    })
    .strict(),
  z.object({ type: z.literal(CHANNEL.stop) }).strict(),
  z.object({ type: z.literal(CHANNEL.secretWriteResult), id: z.number().int().nonnegative(), ok: z.boolean(), message: z.string().max(10_000).optional() }).strict(),
]);

export type FromBackend = z.infer<typeof FromBackendSchema>;
export type ToBackend = z.infer<typeof ToBackendSchema>;
export type StartMessage = Extract<ToBackend, { type: typeof CHANNEL.start }>;

function describe(direction: string, input: unknown, error: z.ZodError): string {
  const type = typeof input === 'object' && input !== null && 'type' in input ? JSON.stringify((input as { type: unknown }).type) : 'without a type';
  // Paths and messages only, never the received values: a start message carries secrets.
  const problems = error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`);
  return `Invalid ${direction} message ${type}: ${problems.join('; ')}`;
}

/** Parses a message the backend process sent to the shell; throws TypeError when it is malformed. */
export function parseFromBackend(input: unknown): FromBackend {
  const r = FromBackendSchema.safeParse(input);
  if (!r.success) throw new TypeError(describe('backend → shell', input, r.error));
  return r.data;
}

/** Parses a message the shell sent to the backend process; throws TypeError when it is malformed. */
export function parseToBackend(input: unknown): ToBackend {
  const r = ToBackendSchema.safeParse(input);
  if (!r.success) throw new TypeError(describe('shell → backend', input, r.error));
  return r.data;
}
