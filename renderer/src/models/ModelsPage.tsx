// The Models page: the engine in use (the drafter, the model on this machine, or an inference
// server, see EnginePanel), this machine's hardware, the live model status (download and load
// progress from the event stream), the catalogue with the model suggested for this machine, the
// models in the data folder with Load and Delete, Import from a path, and Unload (back to the
// drafter). The status shows one current state: a download that ended is not shown as running.
// Nothing is downloaded unless the admin clicks Download.

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient, ApiFailure, ApiResult } from '../api/client.ts';
import type { ModelStatus } from '../../../core/model/types.ts';
import type { CatalogueResponse, DownloadView, HardwareResponse, InstalledResponse } from '../../../core/server/modelApi.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';
import { describeModel } from '../app/ModelBadge.tsx';
import { EnginePanel } from './EnginePanel.tsx';

const gb = (bytes: number): string => `${(bytes / 1e9).toFixed(1)} GB`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

function Progress({ label, percent }: { label: string; percent: number }) {
  return (
    <div className="model-progress">
      <progress max={100} value={percent} aria-label={label} />
      <span>{Math.round(percent)}%</span>
    </div>
  );
}

export function ModelsPage({ api, pushed }: { api: ApiClient; pushed: ModelStatus | null }) {
  const [hardware, setHardware] = useState<HardwareResponse | null>(null);
  const [catalogue, setCatalogue] = useState<CatalogueResponse | null>(null);
  const [installed, setInstalled] = useState<InstalledResponse | null>(null);
  const [download, setDownload] = useState<DownloadView | null>(null);
  const [initial, setInitial] = useState<ModelStatus | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [importPath, setImportPath] = useState('');

  // Refreshes overlap (a status push and a finished action both ask): only the newest one's
  // answer is shown, so an older list cannot replace a newer one.
  const generation = useRef(0);
  const latest = useRef<Promise<void>>(Promise.resolve());
  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    const reading = (async () => {
      const [m, i, d] = await Promise.all([api.model(), api.installedModels(), api.currentDownload()]);
      if (mine !== generation.current) return;
      if (m.ok) setInitial(m.data.status);
      if (i.ok) setInstalled(i.data);
      else setError(i);
      if (d.ok) setDownload(d.data.download);
    })();
    latest.current = reading;
    // A newer refresh started meanwhile: wait for the newest, so callers see what it applied.
    let awaited: Promise<void> | null = null;
    while (awaited !== latest.current) {
      awaited = latest.current;
      await awaited;
    }
  }, [api]);

  useEffect(() => {
    void refresh();
    // Hardware and catalogue can take a moment (the runtime starts on first use); they load beside the list.
    void api.hardware().then((r) => (r.ok ? setHardware(r.data) : setError(r)));
    void api.catalogue().then((r) => (r.ok ? setCatalogue(r.data) : setError(r)));
  }, [api, refresh]);

  // A 'downloading' status pushed before the download ended is stale once the download view says it
  // ended: the engine's own status (read again on refresh) is the current one.
  const status = pushed?.state === 'downloading' && download && download.state !== 'running' ? initial : (pushed ?? initial);
  // A download or load finishing changes the folder or the model in use: list again.
  const phase = status?.state;
  useEffect(() => {
    if (phase === 'ready' || phase === 'absent' || phase === 'error') void refresh();
  }, [phase, refresh]);
  // While a download runs its view is read again, so its end (done, failed) shows even without a status change.
  const running = download?.state === 'running';
  useEffect(() => {
    if (!running) return undefined;
    const timer = setInterval(() => void refresh(), 1000);
    return () => clearInterval(timer);
  }, [running, refresh]);

  const run = async <T,>(fn: () => Promise<ApiResult<T>>, done: (data: T) => string) => {
    setBusy(true);
    setError(null);
    setNotice('');
    const r = await fn();
    // The list is read again before the outcome is shown, so the notice and the table agree.
    await refresh();
    setBusy(false);
    if (r.ok) setNotice(done(r.data));
    else setError(r);
  };

  const described = status ? describeModel(status, installed?.loaded ? undefined : 'drafter') : null;

  return (
    <section className="models-page">
      <h1>Models</h1>
      <ErrorBanner error={error} title="The model operation failed" />
      {notice && (
        <div className="banner banner-ok" role="status">
          {notice}
        </div>
      )}

      <div className="panel">
        <h2>Status</h2>
        {described && (
          <p>
            <span className={`badge badge-${described.tone}`} aria-label={`Current model: ${described.label}`}>
              {described.label}
            </span>
          </p>
        )}
        {status?.state === 'downloading' && running && <Progress label={`Downloading ${status.model}`} percent={status.percent} />}
        {status?.state === 'loading' && <Progress label={`Loading ${status.model}`} percent={status.percent} />}
        {status?.state === 'downloading' && running && (
          <p className="small muted">
            {status.bytesPerSecond ? `${mib(status.bytesPerSecond)}/s` : ''} {status.etaSeconds ? `· about ${Math.ceil(status.etaSeconds / 60)} min left` : ''}
          </p>
        )}
        {download?.state === 'running' && (
          <button type="button" disabled={busy} onClick={() => void run(() => api.cancelDownload(), (d) => `Download of ${d.download?.fileName ?? 'the model'} cancelled; the partial file is kept and a new download resumes it.`)}>
            Cancel download
          </button>
        )}
        {download && download.state !== 'running' && (
          <p className="small muted">
            Last download: {download.fileName} — {download.state}
            {download.message ? `: ${download.message}` : ''}
          </p>
        )}
        {installed?.loaded && (
          <button type="button" disabled={busy} onClick={() => void run(() => api.unloadModel(), () => 'Model unloaded: breakdowns are drafted from the page structure.')}>
            Unload (use the drafter)
          </button>
        )}
      </div>

      <EnginePanel api={api} onChanged={refresh} statusKey={`${status?.state ?? ''}:${status && 'model' in status ? status.model : ''}`} />

      <div className="panel">
        <h2>This machine</h2>
        {hardware ? (
          <dl className="hardware" aria-label="Hardware">
            <dt>GPU</dt>
            <dd>{hardware.gpu ? `${hardware.gpu}${hardware.devices.length ? ` (${hardware.devices.join(', ')})` : ''}` : 'None (CPU only)'}</dd>
            <dt>VRAM</dt>
            <dd>{hardware.gpu ? `${gb(hardware.vram.free)} free of ${gb(hardware.vram.total)}` : '—'}</dd>
            <dt>Threads</dt>
            <dd>
              {hardware.threads} of {hardware.cpuCores} cores
            </dd>
          </dl>
        ) : (
          <p className="muted">Reading the hardware…</p>
        )}
      </div>

      <div className="panel">
        <h2>Installed models</h2>
        {installed && installed.models.length === 0 && <p className="muted">No models in {installed.dir} yet. Download one below or import a .gguf file.</p>}
        {installed && installed.models.length > 0 && (
          <table aria-label="Installed models">
            <thead>
              <tr>
                <th>File</th>
                <th>Size</th>
                <th>Model</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {installed.models.map((m) => (
                <tr key={m.fileName}>
                  <td className="mono">{m.fileName}</td>
                  <td>{mib(m.sizeBytes)}</td>
                  <td>{m.error ? <span className="error-text">{m.error}</span> : `${m.name ?? m.architecture ?? ''}${installed.loaded === m.fileName ? ' (in use)' : ''}`}</td>
                  <td>
                    <button type="button" disabled={busy || Boolean(m.error) || installed.loaded === m.fileName} onClick={() => void run(() => api.loadModel(m.fileName), (d) => `${d.model.name} is loaded; new breakdowns are written by it.`)}>
                      Load
                    </button>{' '}
                    <button type="button" disabled={busy} onClick={() => void run(() => api.deleteModel(m.fileName), (d) => `${d.deleted} deleted.`)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <form
          className="inline-field import-form"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => api.importModel(importPath.trim()), (d) => `${d.model.fileName} imported into the models folder.`).then(() => setImportPath(''));
          }}
        >
          <label htmlFor="import-path">Import from path</label>
          <input id="import-path" className="mono" placeholder="/path/to/Qwen2.5-7B-Instruct-Q4_K_M.gguf" value={importPath} onChange={(e) => setImportPath(e.target.value)} />
          <button type="submit" disabled={busy || !importPath.trim()}>
            Import
          </button>
        </form>
      </div>

      <div className="panel">
        <h2>Catalogue</h2>
        <p className="small">Downloads are several GB from Hugging Face and start only when you click Download. They resume if cancelled.</p>
        {catalogue ? (
          <>
            <p className="small">{catalogue.suggestion.reason}</p>
            {catalogue.note && <p className="small muted">{catalogue.note}</p>}
            <ul className="catalogue" aria-label="Catalogue">
              {catalogue.models.map((m) => {
                const suggested = m.id === catalogue.suggestion.id;
                return (
                  <li key={m.id} className={suggested ? 'suggested' : undefined}>
                    <strong>{m.label}</strong> <span className="muted">{gb(m.sizeBytes)}</span>
                    {suggested && <span className="badge badge-ok">Suggested for this machine</span>}{' '}
                    <button type="button" disabled={busy || download?.state === 'running'} onClick={() => void run(() => api.downloadModel({ id: m.id }), (d) => `Downloading ${d.download?.fileName ?? m.fileName}; progress shows above.`)}>
                      Download ({gb(m.sizeBytes)})
                    </button>
                  </li>
                );
              })}
            </ul>
          </>
        ) : (
          <p className="muted">Reading the catalogue…</p>
        )}
      </div>
    </section>
  );
}
