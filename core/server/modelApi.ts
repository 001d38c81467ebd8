// The admin model API's contract: request schemas (validated at the route) and response types,
// imported by the renderer so both sides speak the same shapes.

import { z } from 'zod';
import type { ModelStatus } from '../model/types.ts';
import type { HardwareInfo } from '../model/runtime.ts';
import type { StoredModel } from '../model/modelStore.ts';
import type { CatalogueView, DownloadView, InstalledView } from '../model/modelControl.ts';
import { RemoteEngineSettingsSchema } from '../model/engineConfig.ts';
import type { EngineView } from '../model/switchableEngine.ts';
import type { ServerTestReport } from '../model/openaiClient.ts';

export const DownloadRequestSchema = z.union([
  z.object({ id: z.string().trim().min(1, 'must be a catalogue model id such as qwen2.5-7b') }).strict(),
  z
    .object({
      url: z
        .string()
        .trim()
        .url('must be an http(s) URL of a .gguf file')
        .refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL of a .gguf file')
        .refine((u) => {
          try {
            decodeURIComponent(new URL(u).pathname);
            return true;
          } catch {
            return false;
          }
        }, 'must be a URL whose percent-escapes are valid (%20, not a lone %)'),
      fileName: z.string().trim().min(1).max(200).optional(),
    })
    .strict(),
]);
export type DownloadRequestBody = z.infer<typeof DownloadRequestSchema>;

export const ImportRequestSchema = z
  .object({
    path: z
      .string()
      .trim()
      .min(1, 'must be the full path of a .gguf file on this machine')
      .refine((p) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p), 'must be a full (absolute) path of a .gguf file on this machine'),
  })
  .strict();
export type ImportRequestBody = z.infer<typeof ImportRequestSchema>;

export const LoadRequestSchema = z.object({ name: z.string().trim().min(1, 'must be the file name of a model in the models folder') }).strict();
export type LoadRequestBody = z.infer<typeof LoadRequestSchema>;

/** The API key is write-only: a new key, null to remove the saved one, absent to keep it. */
const ApiKeySchema = z.string().trim().min(1, 'must not be empty').max(4096, 'must be at most 4096 characters').nullable().optional();

/** PUT /api/model/engine: use an OpenAI-compatible inference server, or this machine (drafter until a model is loaded). */
export const EngineUpdateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('openai'), settings: RemoteEngineSettingsSchema, apiKey: ApiKeySchema }).strict(),
  z.object({ kind: z.literal('local') }).strict(),
]);
export type EngineUpdateBody = z.infer<typeof EngineUpdateSchema>;

/** POST /api/model/engine/test: the settings to try (the saved key is used unless one is given). */
export const EngineTestSchema = z.object({ settings: RemoteEngineSettingsSchema, apiKey: ApiKeySchema }).strict();
export type EngineTestBody = z.infer<typeof EngineTestSchema>;

export type EngineResponse = EngineView;
export type EngineTestResponse = ServerTestReport;

export type HardwareResponse = HardwareInfo;
export type CatalogueResponse = CatalogueView;
export type InstalledResponse = InstalledView;
export interface DownloadResponse {
  download: DownloadView | null;
  status: ModelStatus;
}
export interface ImportResponse {
  model: StoredModel;
}
export interface LoadResponse {
  model: { name: string; path: string };
  status: ModelStatus;
}
export interface UnloadResponse {
  status: ModelStatus;
}
export interface DeleteResponse {
  deleted: string;
}
export type { CatalogueView, DownloadView, InstalledView, HardwareInfo, StoredModel };
