// The engine panel of the Models page: which engine writes breakdowns (the drafter, the model on
// this machine, or an OpenAI-compatible inference server), the server's settings with Test (its
// models, whether it honours JSON-schema output, a privacy warning for hosts beyond the local
// network), and switching to the server or back to this machine without a restart. The API key
// is write-only: the page only learns whether one is saved.

import { useEffect, useState } from 'react';
import type { ApiClient, ApiFailure } from '../api/client.ts';
import type { EngineResponse, EngineTestResponse } from '../../../core/server/modelApi.ts';
import type { RemoteEngineSettings } from '../../../core/model/engineConfig.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';

const KIND_LABEL: Record<EngineResponse['kind'], string> = { drafter: 'the drafter (no model)', embedded: 'the model on this machine', openai: 'an inference server' };
const SERVER_KINDS: RemoteEngineSettings['serverKind'][] = ['auto', 'vllm', 'llama-server', 'ollama', 'openai'];

interface Form {
  baseUrl: string;
  model: string;
  apiKey: string;
  timeoutSeconds: string;
  maxParallel: string;
  contextSize: string;
  serverKind: RemoteEngineSettings['serverKind'];
}

const formFrom = (e: EngineResponse | null): Form => ({
  baseUrl: e?.remote?.baseUrl ?? '',
  model: e?.remote?.model ?? '',
  apiKey: '',
  timeoutSeconds: String(e?.remote?.timeoutSeconds ?? 300),
  maxParallel: String(e?.remote?.maxParallel ?? 4),
  contextSize: e?.remote?.contextSize ? String(e.remote.contextSize) : '',
  serverKind: e?.remote?.serverKind ?? 'auto',
});

export function EnginePanel({ api, onChanged, statusKey }: { api: ApiClient; onChanged: () => Promise<void>; statusKey: string }) {
  const [engine, setEngine] = useState<EngineResponse | null>(null);
  const [form, setForm] = useState<Form>(formFrom(null));
  const [report, setReport] = useState<EngineTestResponse | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void api.engine().then((r) => {
      if (!r.ok) return setError(r);
      setEngine((prev) => {
        // The form starts from the saved settings once; later reads leave the admin's typing alone.
        if (!prev) setForm(formFrom(r.data));
        return r.data;
      });
    });
  }, [api, statusKey]);

  const settings = () => ({
    baseUrl: form.baseUrl.trim(),
    model: form.model.trim(),
    timeoutSeconds: Number(form.timeoutSeconds),
    maxParallel: Number(form.maxParallel),
    ...(form.contextSize.trim() ? { contextSize: Number(form.contextSize) } : {}),
    serverKind: form.serverKind,
  });
  const key = () => (form.apiKey.trim() ? { apiKey: form.apiKey.trim() } : {});

  const act = async (what: 'test' | 'use' | 'local') => {
    setBusy(true);
    setError(null);
    setNotice('');
    if (what === 'test') {
      setReport(null);
      const r = await api.testEngine({ settings: settings(), ...key() });
      if (r.ok) setReport(r.data);
      else setError(r);
    } else {
      const r = what === 'use' ? await api.setEngine({ kind: 'openai', settings: settings(), ...key() }) : await api.setEngine({ kind: 'local' });
      if (r.ok) {
        setEngine(r.data);
        setForm((f) => ({ ...f, apiKey: '' }));
        setNotice(what === 'use' ? `Breakdowns are now written by ${r.data.name} on the inference server.` : 'Back on this machine: breakdowns are drafted until a model is loaded.');
        await onChanged();
      } else setError(r);
    }
    setBusy(false);
  };

  const field = (id: keyof Form, label: string, props: Record<string, unknown> = {}, wide = false) => (
    <div className={wide ? 'field field-wide' : 'field'}>
      <label htmlFor={`engine-${id}`}>{label}</label>
      <input id={`engine-${id}`} value={form[id]} disabled={busy || engine?.pinned} onChange={(e) => setForm({ ...form, [id]: e.target.value })} {...props} />
    </div>
  );
  const privacy = report?.privacy ?? engine?.remote?.privacy;

  return (
    <div className="panel engine-panel">
      <h2>Engine</h2>
      <ErrorBanner error={error} title="The engine could not be changed" />
      {notice && (
        <div className="banner banner-ok" role="status">
          {notice}
        </div>
      )}
      {engine && (
        <p aria-label="Engine in use">
          Breakdowns are written by {KIND_LABEL[engine.kind]}
          {engine.kind === 'openai' && engine.remote ? `: ${engine.remote.model} at ${engine.remote.baseUrl}` : ''}.
        </p>
      )}
      {engine?.pinned && <p className="small muted">The engine is fixed by the environment or a command-line flag; change it there and restart.</p>}
      <h3>Inference server (vLLM, llama-server, Ollama)</h3>
      <form
        className="engine-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act('test');
        }}
      >
        {field('baseUrl', 'Base URL', { className: 'mono', placeholder: 'http://gpu-box.internal:8000/v1' }, true)}
        {field('model', 'Model name', { className: 'mono', placeholder: 'Qwen/Qwen2.5-32B-Instruct' }, true)}
        {field('apiKey', 'API key', { type: 'password', autoComplete: 'off', placeholder: engine?.remote?.apiKeySet ? 'saved (leave empty to keep it)' : 'none' })}
        {field('timeoutSeconds', 'Request timeout (s)', { type: 'number', min: 5, max: 3600 })}
        {field('maxParallel', 'Parallel requests', { type: 'number', min: 1, max: 256 })}
        {field('contextSize', 'Context size (tokens)', { type: 'number', min: 512, placeholder: 'from the server' })}
        <div className="field">
          <label htmlFor="engine-serverKind">Server type</label>
          <select id="engine-serverKind" value={form.serverKind} disabled={busy || engine?.pinned} onChange={(e) => setForm({ ...form, serverKind: e.target.value as Form['serverKind'] })}>
            {SERVER_KINDS.map((k) => (
              <option key={k} value={k}>
                {k === 'auto' ? 'detect' : k}
              </option>
            ))}
          </select>
        </div>
        <p className="form-actions">
          <button type="submit" disabled={busy || !form.baseUrl.trim() || !form.model.trim()}>
            Test
          </button>{' '}
          <button type="button" disabled={busy || engine?.pinned || !form.baseUrl.trim() || !form.model.trim()} onClick={() => void act('use')}>
            Use this server
          </button>{' '}
          {engine?.kind === 'openai' && (
            <button type="button" disabled={busy || engine.pinned} onClick={() => void act('local')}>
              Use this machine
            </button>
          )}
        </p>
      </form>
      {report && (
        <div className={`banner ${report.ok ? 'banner-ok' : 'banner-warning'}`} role="status" aria-label="Server test">
          <p>{report.message}</p>
          {report.models.length > 0 && <p className="small">Models: {report.models.join(', ')}</p>}
        </div>
      )}
      {privacy?.warning && (
        <div className="banner banner-warning" role="alert" aria-label="Privacy warning">
          {privacy.warning}
        </div>
      )}
    </div>
  );
}
