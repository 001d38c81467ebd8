// The renderer's only way to the backend: same-origin HTTP to the admin listener's /api. Every call
// answers with a value — the data, or the API's { code, message, fields } — so screens show the
// backend's own words instead of catching exceptions. A 401 means the session token is gone
// (backend restarted, wrong URL): the app is told once and shows how to get back in.

import type { JobAuditResponse, JobDetailResponse, JobListResponse, ModelResponse, ProjectChangeResponse } from '../../../core/server/admin.ts';
import type { JobStatusView } from '../../../core/server/jobView.ts';
import type { ApproveRequest, GeneratedBreakdownResponse, JobPageResponse } from '../../../core/server/reviewRoutes.ts';
import type { ConnectionTestResponse } from '../../../core/server/connectionRoutes.ts';
import type { DuplicateDecision, DuplicateDecisionKind } from '../../../core/store/types.ts';
import type { SettingsView, SettingsUpdate } from '../../../core/config/settings.ts';
import type { IssuedKey, PublicKeyInfo } from '../../../core/server/apiKeys.ts';
import type { Breakdown } from '../../../core/breakdown/schema.ts';
import type { JobState } from '../../../core/jobs/states.ts';
import type { ResyncDecisionRequest, ResyncResponse } from '../../../core/server/resyncRoutes.ts';
import type {
  CatalogueResponse,
  DeleteResponse,
  DownloadRequestBody,
  DownloadResponse,
  EngineResponse,
  EngineTestBody,
  EngineTestResponse,
  EngineUpdateBody,
  HardwareResponse,
  ImportResponse,
  InstalledResponse,
  LoadResponse,
  UnloadResponse,
} from '../../../core/server/modelApi.ts';

export interface ApiFailure {
  ok: false;
  status: number;
  code: string;
  message: string;
  /** Field paths the API named (e.g. "breakdown.epics.0.stories.1.title"). */
  fields: string[];
}
export type ApiResult<T> = { ok: true; data: T } | ApiFailure;

export type JobAction = 'reject' | 'cancel' | 'retry';

export interface ApiClientOptions {
  /** Base of the admin listener; '' for same origin. */
  base?: string;
  fetch?: typeof fetch;
  onSessionLost?: (f: ApiFailure) => void;
}

export class ApiClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly onSessionLost: (f: ApiFailure) => void;

  constructor(o: ApiClientOptions = {}) {
    this.base = o.base ?? '';
    // Bound so the browser's fetch keeps its receiver.
    this.fetchFn = o.fetch ?? ((input, init) => window.fetch(input, init));
    this.onSessionLost = o.onSessionLost ?? (() => {});
  }

  /** GETs started ahead of need (see warm), each handed to the first call that asks for the same path. */
  private readonly warmed = new Map<string, Promise<ApiResult<unknown>>>();

  /**
   * Starts a GET now so its answer is on its way before the screen that needs it asks: the job page
   * opened by address starts loading the job while the session is still being checked. The next
   * `call('GET', path)` takes this answer (once); a 401 reports the lost session as any call does.
   */
  warm(path: string): void {
    if (!this.warmed.has(path)) this.warmed.set(path, this.request('GET', path));
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    const early = method === 'GET' ? this.warmed.get(path) : undefined;
    if (early) {
      this.warmed.delete(path);
      return early as Promise<ApiResult<T>>;
    }
    return this.request<T>(method, path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
    let res: Response;
    try {
      res = await this.fetchFn(`${this.base}/api${path}`, {
        method,
        credentials: 'same-origin',
        // Every state-changing request is JSON (the admin listener refuses others, a guard against
        // cross-site form posts), even a DELETE without anything to say.
        headers: method === 'GET' ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : JSON.stringify(body ?? {}),
      });
    } catch (err) {
      return { ok: false, status: 0, code: 'unreachable', message: `The Spec2Tickets backend does not answer (${(err as Error).message}). Is it still running?`, fields: [] };
    }
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      // A proxy's HTML error page, for instance; reported below with the status.
    }
    if (res.ok) return { ok: true, data: json as T };
    const e = (json ?? {}) as { code?: unknown; message?: unknown; fields?: unknown };
    const failure: ApiFailure = {
      ok: false,
      status: res.status,
      code: typeof e.code === 'string' ? e.code : `http_${res.status}`,
      message: typeof e.message === 'string' ? e.message : `The backend answered ${res.status} ${res.statusText}`,
      fields: Array.isArray(e.fields) ? e.fields.filter((f): f is string => typeof f === 'string') : [],
    };
    if (res.status === 401) this.onSessionLost(failure);
    return failure;
  }

  session() {
    return this.call<{ ok: true }>('GET', '/session');
  }
  listJobs(states: readonly JobState[] = []) {
    const q = states.length ? `?state=${states.join(',')}&limit=500` : '?limit=500';
    return this.call<JobListResponse>('GET', `/jobs${q}`);
  }
  job(id: string) {
    return this.call<JobDetailResponse>('GET', `/jobs/${encodeURIComponent(id)}`);
  }
  /** The job's page, parsed: sections and blocks for the page view. */
  page(id: string) {
    return this.call<JobPageResponse>('GET', `/jobs/${encodeURIComponent(id)}/page`);
  }
  /** The breakdown as generated (the job detail leaves its body out): what the diff panel compares with. */
  generated(id: string) {
    return this.call<GeneratedBreakdownResponse>('GET', `/jobs/${encodeURIComponent(id)}/generated`);
  }
  /** One page of the job's audit log, newest first (the job detail leaves the log out): `before` is a previous page's nextBefore. */
  audit(id: string, page: { limit: number; before?: number }) {
    const q = new URLSearchParams({ limit: String(page.limit) });
    if (page.before !== undefined) q.set('before', String(page.before));
    return this.call<JobAuditResponse>('GET', `/jobs/${encodeURIComponent(id)}/audit?${q.toString()}`);
  }
  /** Approves with what the reviewer saw; a summary with gaps carries the reviewer's "approve anyway" (the API refuses gaps without it). */
  approve(id: string, summary: ApproveRequest['summary']) {
    const body: ApproveRequest = summary ? { summary, approveAnyway: summary.approvedAnyway } : {};
    return this.call<JobStatusView>('POST', `/jobs/${encodeURIComponent(id)}/approve`, body);
  }
  saveBreakdown(id: string, breakdown: Breakdown) {
    return this.call<{ versionNo: number; kind: string; author: string; createdAt: string }>('PUT', `/jobs/${encodeURIComponent(id)}/breakdown`, { breakdown });
  }
  jobAction(id: string, action: JobAction, reason?: string) {
    return this.call<JobStatusView>('POST', `/jobs/${encodeURIComponent(id)}/${action}`, reason === undefined ? {} : { reason });
  }
  setProject(id: string, projectKey: string | null) {
    return this.call<ProjectChangeResponse>('PUT', `/jobs/${encodeURIComponent(id)}/project`, { projectKey });
  }
  searchDuplicates(id: string) {
    return this.call<Pick<JobDetailResponse['duplicates'], 'candidates' | 'noLongerOnPage' | 'searchedAt' | 'decisions'>>('POST', `/jobs/${encodeURIComponent(id)}/duplicates/search`, {});
  }
  decideDuplicate(id: string, itemId: string, issueKey: string, decision: DuplicateDecisionKind) {
    return this.call<{ duplicates: DuplicateDecision[] }>('PUT', `/jobs/${encodeURIComponent(id)}/duplicates/${encodeURIComponent(itemId)}`, { issueKey, decision });
  }
  /** The re-sync plan of a page broken down again, with decisions and the approval counts. */
  resync(id: string) {
    return this.call<ResyncResponse>('GET', `/jobs/${encodeURIComponent(id)}/resync`);
  }
  decideResync(id: string, issueKey: string, decision: ResyncDecisionRequest) {
    return this.call<ResyncResponse>('PUT', `/jobs/${encodeURIComponent(id)}/resync/${encodeURIComponent(issueKey)}`, decision);
  }
  /** The transition run on issues marked removed from their page (null: none). */
  saveResyncSettings(removedTransition: string | null) {
    return this.call<{ removedTransition: string | null }>('PUT', '/resync/settings', { removedTransition });
  }
  settings() {
    return this.call<SettingsView>('GET', '/settings');
  }
  testConnection() {
    return this.call<ConnectionTestResponse>('POST', '/settings/test-connection', {});
  }
  saveSettings(update: SettingsUpdate) {
    return this.call<SettingsView>('PUT', '/settings', update);
  }
  keys() {
    return this.call<{ keys: PublicKeyInfo[] }>('GET', '/keys');
  }
  createKey(name: string) {
    return this.call<IssuedKey>('POST', '/keys', { name });
  }
  rotateKey(id: string, graceHours: number) {
    return this.call<IssuedKey>('POST', `/keys/${encodeURIComponent(id)}/rotate`, { graceHours });
  }
  revokeKey(id: string) {
    return this.call<{ revoked: true }>('DELETE', `/keys/${encodeURIComponent(id)}`);
  }
  model() {
    return this.call<ModelResponse>('GET', '/model');
  }
  hardware() {
    return this.call<HardwareResponse>('GET', '/model/hardware');
  }
  catalogue() {
    return this.call<CatalogueResponse>('GET', '/model/catalogue');
  }
  installedModels() {
    return this.call<InstalledResponse>('GET', '/model/installed');
  }
  downloadModel(source: DownloadRequestBody) {
    return this.call<DownloadResponse>('POST', '/model/download', source);
  }
  currentDownload() {
    return this.call<DownloadResponse>('GET', '/model/download');
  }
  cancelDownload() {
    return this.call<DownloadResponse>('DELETE', '/model/download');
  }
  engine() {
    return this.call<EngineResponse>('GET', '/model/engine');
  }
  setEngine(update: EngineUpdateBody) {
    return this.call<EngineResponse>('PUT', '/model/engine', update);
  }
  testEngine(body: EngineTestBody) {
    return this.call<EngineTestResponse>('POST', '/model/engine/test', body);
  }
  importModel(path: string) {
    return this.call<ImportResponse>('POST', '/model/import', { path });
  }
  deleteModel(name: string) {
    return this.call<DeleteResponse>('DELETE', `/model/installed/${encodeURIComponent(name)}`);
  }
  loadModel(name: string) {
    return this.call<LoadResponse>('POST', '/model/load', { name });
  }
  unloadModel() {
    return this.call<UnloadResponse>('POST', '/model/unload', {});
  }
}
