// One backend process: the job store, the job runner, the retention sweeper and the two listeners,
// started together and stopped together. The headless `serve` command and the desktop shell both
// start the backend through startBackend.

import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Breakdown } from '../breakdown/schema.ts';
import type { BreakdownEngine } from '../model/types.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { LoadedConfig } from '../config/config.ts';
import { SettingsService } from '../config/settings.ts';
import type { SecretStore } from '../secrets/secretStore.ts';
import { SqliteJobStore } from '../store/sqliteStore.ts';
import type { JobStore } from '../store/types.ts';
import { JobRunner, silentLogger, type Logger, type PipelineSteps } from '../jobs/runner.ts';
import { startRetentionSweeper } from '../jobs/retention.ts';
import { ApiKeyService } from './apiKeys.ts';
import { TokenBuckets } from './rateLimit.ts';
import { EventHub } from './events.ts';
import { createHealthCheck, type ServiceCheck } from './health.ts';
import { BackgroundTasks } from './backgroundTasks.ts';
import { createPublicApp } from './public.ts';
import { createAdminApp, ADMIN_HOST, type ModelActions } from './admin.ts';
import { jobStatusView } from './jobView.ts';
import { recordRunningBackend } from './runningBackend.ts';
import type { BreakdownReport } from '../breakdown/checkBreakdown.ts';
import type { ModelControl } from '../model/modelControl.ts';

/** What the backend needs from the rest of the product, built once the settings service exists. */
export interface BackendParts {
  steps: PipelineSteps;
  check: (doc: SpecDocument, breakdown: Breakdown) => BreakdownReport;
  checkJira: () => Promise<ServiceCheck>;
  checkConfluence: () => Promise<ServiceCheck>;
  modelActions?: ModelActions;
  /** Model management for the admin API; its running download is stopped when the backend closes. */
  modelControl?: ModelControl;
}

export interface BackendOptions {
  loaded: LoadedConfig;
  secrets: SecretStore;
  engine: BreakdownEngine;
  /** Builds the pipeline and checks; given the settings so each call reads the current site and credentials. */
  parts: (ctx: { settings: SettingsService; engine: BreakdownEngine; store: JobStore; log: Logger; loaded: LoadedConfig }) => BackendParts;
  log?: Logger;
  version?: string;
  rendererDir?: string;
  /** Fixed session token (tests); a random one per launch otherwise. */
  sessionToken?: string;
  /** Where the admin listener binds: only 127.0.0.1 is accepted. */
  adminHost?: string;
  now?: () => Date;
  /** How often the retention sweep runs (default hourly; tests use a short one). */
  retentionSweepIntervalMs?: number;
}

export interface Backend {
  publicUrl: string;
  /** Base URL of the admin listener (no token). */
  adminBaseUrl: string;
  /** The admin URL to open once: it carries the session token. */
  adminUrl: string;
  sessionToken: string;
  store: SqliteJobStore;
  runner: JobRunner;
  apiKeys: ApiKeyService;
  settings: SettingsService;
  close(): Promise<void>;
}

export class AdminBindError extends Error {
  constructor(host: string) {
    super(`The admin listener only binds to ${ADMIN_HOST} (it has no API key, only a session token); refusing "${host}"`);
    this.name = 'AdminBindError';
  }
}

function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new Error(`Port ${port} on ${host} is already in use; choose another with --public-port/--admin-port or stop the other program`));
      else reject(err);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // SSE streams and keep-alive sockets would otherwise hold shutdown open.
    server.closeAllConnections();
  });
}

const urlOf = (server: Server) => {
  const a = server.address() as AddressInfo;
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
};

export async function startBackend(o: BackendOptions): Promise<Backend> {
  const adminHost = o.adminHost ?? ADMIN_HOST;
  if (adminHost !== ADMIN_HOST) throw new AdminBindError(adminHost);
  const log = o.log ?? silentLogger;
  const { config } = o.loaded;
  const store = new SqliteJobStore({ dataDir: config.dataDir, now: o.now });
  const settings = new SettingsService(o.loaded, store, o.secrets);
  const events = new EventHub();
  const apiKeys = new ApiKeyService({ store, now: o.now });
  const parts = o.parts({ settings, engine: o.engine, store, log, loaded: o.loaded });
  const runner = new JobRunner({
    store,
    steps: parts.steps,
    log,
    onJobChange: (job) => events.publish({ type: 'job', data: jobStatusView(job, []) }),
    generationOptions: async () => {
      const c = (await settings.current()).config;
      return { language: c.outputLanguage, timeoutMs: c.generationTimeoutMinutes * 60_000 };
    },
  });
  const offModel = o.engine.onStatus((s) => events.publish({ type: 'model', data: s }));
  const background = new BackgroundTasks(o.now);
  const offBackground = background.onChange((report) => events.publish({ type: 'background', data: report }));
  const health = createHealthCheck({
    version: o.version ?? '0.0.0',
    modelStatus: () => o.engine.status(),
    background: () => background.report(),
    checkJira: parts.checkJira,
    checkConfluence: parts.checkConfluence,
  });
  const sessionToken = o.sessionToken ?? randomBytes(24).toString('base64url');

  const servers: Server[] = [];
  let stopSweeper = () => {};
  try {
    const publicApp = createPublicApp({
      store,
      apiKeys,
      rateLimit: new TokenBuckets({ ratePerMinute: config.rateLimitPerMinute, burst: config.rateLimitBurst }),
      siteUrl: async () => (await settings.current()).config.siteUrl,
      allowedProjects: async () => (await settings.current()).config.allowedProjects,
      health,
      onJobCreated: () => runner.wake(),
      log,
    });
    let adminPort = 0;
    const adminApp = createAdminApp({
      store,
      runner,
      apiKeys,
      settings,
      events,
      engine: o.engine,
      modelActions: parts.modelActions,
      modelControl: parts.modelControl,
      parse: parts.steps.parse,
      check: parts.check,
      connections: { checkJira: parts.checkJira, checkConfluence: parts.checkConfluence },
      health,
      background: () => background.report(),
      port: () => adminPort,
      sessionToken,
      rendererDir: o.rendererDir,
      log,
    });
    const publicServer = await listen(publicApp, config.publicHost, config.publicPort);
    servers.push(publicServer);
    const adminServer = await listen(adminApp, adminHost, config.adminPort);
    servers.push(adminServer);
    adminPort = (adminServer.address() as AddressInfo).port;

    runner.start();
    stopSweeper = startRetentionSweeper({
      intervalMs: o.retentionSweepIntervalMs,
      store,
      retentionDays: async () => (await settings.current()).config.retentionDays,
      now: o.now,
      log,
      onOutcome: (error) => (error === null ? background.succeeded('retention') : background.failed('retention', error)),
      onChanged: async (ids) => {
        for (const id of ids) {
          const job = await store.getJob(id);
          if (job) events.publish({ type: 'job', data: jobStatusView(job, await store.createdIssues(id)) });
        }
      },
    });

    const adminBaseUrl = urlOf(adminServer);
    const forgetRecord = recordRunningBackend(config.dataDir, { publicUrl: urlOf(publicServer), adminBaseUrl });
    let closed: Promise<void> | undefined;
    return {
      publicUrl: urlOf(publicServer),
      adminBaseUrl,
      adminUrl: `${adminBaseUrl}/?token=${sessionToken}`,
      sessionToken,
      store,
      runner,
      apiKeys,
      settings,
      close: () =>
        (closed ??= (async () => {
          stopSweeper();
          offModel();
          offBackground();
          forgetRecord();
          await Promise.all(servers.map(closeServer));
          await parts.modelControl?.dispose();
          await runner.stop();
          store.close();
        })()),
    };
  } catch (err) {
    stopSweeper();
    offModel();
    offBackground();
    await Promise.all(servers.map(closeServer));
    store.close();
    throw err;
  }
}
