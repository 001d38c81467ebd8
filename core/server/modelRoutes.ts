// Admin routes for model management (/api/model/...): hardware, catalogue, models folder, background
// download with cancel, import by path, delete, load and unload, and the engine: which kind is in
// use, an OpenAI-compatible inference server's settings, Test and switching to it or back without a
// restart. Bodies are validated with the schemas in modelApi.ts; ModelErrors and inference server
// errors leave as { code, message } with a status that says who can fix it. The server's API key is
// write-only: it goes to the secret store and never comes back in an answer.

import express, { type Router } from 'express';
import { ModelError } from '../model/modelStore.ts';
import { EngineConfigError } from '../model/engineConfig.ts';
import { InferenceServerError } from '../model/openaiClient.ts';
import type { InferenceErrorCode } from '../model/openaiClient.ts';
import type { ModelErrorCode } from '../model/modelStore.ts';
import type { ModelControl } from '../model/modelControl.ts';
import { ApiError, validate } from './httpErrors.ts';
import { DownloadRequestSchema, EngineTestSchema, EngineUpdateSchema, ImportRequestSchema, LoadRequestSchema } from './modelApi.ts';
import type { EngineResponse, EngineTestResponse, CatalogueResponse, DeleteResponse, DownloadResponse, HardwareResponse, ImportResponse, InstalledResponse, LoadResponse, UnloadResponse } from './modelApi.ts';

const STATUS_FOR: Record<ModelErrorCode, number> = {
  outside_folder: 400,
  not_found: 404,
  not_gguf: 422,
  corrupt: 422,
  load_failed: 422,
  exists: 409,
  in_use: 409,
  busy: 409,
  cancelled: 409,
  unreachable: 502,
  download_failed: 502,
  size_mismatch: 502,
  timed_out: 504,
};

/** The inference server's failures are a gateway's: the admin API itself did not refuse anything. */
const REMOTE_STATUS_FOR: Record<InferenceErrorCode, number> = {
  invalid_config: 400,
  unreachable: 502,
  redirected: 502,
  unauthorized: 502,
  unknown_model: 502,
  context_too_long: 502,
  overloaded: 503,
  timed_out: 504,
  bad_answer: 502,
  server_error: 502,
};

/** Runs a model operation, turning ModelErrors and inference server errors into API errors. */
async function modelCall<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ModelError) throw new ApiError(STATUS_FOR[err.code] ?? 500, err.code, err.message);
    if (err instanceof InferenceServerError) throw new ApiError(REMOTE_STATUS_FOR[err.code] ?? 502, `inference_${err.code}`, err.message);
    if (err instanceof EngineConfigError) throw new ApiError(409, err.code, err.message);
    throw err;
  }
}

export function modelRoutes(control: ModelControl): Router {
  const r = express.Router();
  const status = () => control.engine.status();

  r.get('/model/hardware', async (_req, res) => {
    const body: HardwareResponse = await modelCall(() => control.hardware());
    res.json(body);
  });
  r.get('/model/catalogue', async (_req, res) => {
    const body: CatalogueResponse = await modelCall(() => control.catalogue());
    res.json(body);
  });
  r.get('/model/installed', async (_req, res) => {
    const body: InstalledResponse = await modelCall(() => control.installed());
    res.json(body);
  });
  r.delete('/model/installed/:name', async (req, res) => {
    const name = String(req.params.name);
    await modelCall(() => control.delete(name));
    const body: DeleteResponse = { deleted: name };
    res.json(body);
  });
  r.post('/model/import', async (req, res) => {
    const { path } = validate(ImportRequestSchema, req.body);
    const body: ImportResponse = { model: await modelCall(() => control.importFile(path)) };
    res.status(201).json(body);
  });
  r.get('/model/download', (_req, res) => {
    const body: DownloadResponse = { download: control.download(), status: status() };
    res.json(body);
  });
  r.post('/model/download', async (req, res) => {
    const source = validate(DownloadRequestSchema, req.body);
    const download = await modelCall(() => control.startDownload(source));
    const body: DownloadResponse = { download, status: status() };
    res.status(202).json(body);
  });
  r.delete('/model/download', async (_req, res) => {
    const download = await modelCall(() => control.cancelDownload());
    const body: DownloadResponse = { download, status: status() };
    res.json(body);
  });
  r.post('/model/load', async (req, res) => {
    const { name } = validate(LoadRequestSchema, req.body);
    const model = await modelCall(() => control.load(name));
    const body: LoadResponse = { model, status: status() };
    res.json(body);
  });
  r.get('/model/engine', async (_req, res) => {
    const body: EngineResponse = await control.engine.viewWithKey();
    res.json(body);
  });
  r.put('/model/engine', async (req, res) => {
    const update = validate(EngineUpdateSchema, req.body);
    if (update.kind === 'local') {
      await modelCall(() => control.engine.useLocal());
    } else {
      // Connect first (a server that cannot be used changes nothing), then leave the embedded model
      // (clearing its saved choice so the next start does not load it) and switch to the server.
      await modelCall(async () => {
        await control.engine.checkRemote(update.settings, update.apiKey);
        if (control.engine.kind !== 'openai') await control.unload();
        await control.engine.useRemote(update.settings, { apiKey: update.apiKey });
      });
    }
    const body: EngineResponse = await control.engine.viewWithKey();
    res.json(body);
  });
  r.post('/model/engine/test', async (req, res) => {
    const { settings, apiKey } = validate(EngineTestSchema, req.body);
    const body: EngineTestResponse = await modelCall(() => control.engine.testRemote(settings, apiKey));
    res.json(body);
  });
  r.post('/model/unload', async (_req, res) => {
    await modelCall(() => control.unload());
    const body: UnloadResponse = { status: status() };
    res.json(body);
  });
  return r;
}
