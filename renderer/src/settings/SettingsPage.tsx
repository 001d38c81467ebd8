// Settings: the Atlassian site, service account email, Jira project, the projects Forge may
// choose, retention, the issue type each breakdown level becomes, the language breakdowns are
// written in and how long one generation may take. The API token
// is write-only: the page shows whether one is set, never its value. Values pinned by a flag or
// environment variable are shown but not editable (saving them would have no effect). A refused
// value is explained under its field with the field's name as shown ("Retention (days) must be at
// least 1"); "Test connection" asks Confluence and Jira whether the saved site and account work.

import { useEffect, useState } from 'react';
import type { ApiClient, ApiFailure } from '../api/client.ts';
import type { SettingsView, SettingsUpdate, EditableSetting } from '../../../core/config/settings.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';
import type { ConnectionTestResponse } from '../../../core/server/connectionRoutes.ts';

const FIELDS: { key: EditableSetting; label: string; type: 'url' | 'email' | 'text' | 'number'; hint: string }[] = [
  { key: 'siteUrl', label: 'Atlassian site URL', type: 'url', hint: 'E.g. https://your-company.atlassian.net' },
  { key: 'atlassianEmail', label: 'Service account email', type: 'email', hint: 'The Atlassian account the API token belongs to' },
  { key: 'jiraProjectKey', label: 'Jira project key', type: 'text', hint: 'Where issues are created unless the job names a project, e.g. PAY' },
  { key: 'allowedProjects', label: 'Projects Forge may choose', type: 'text', hint: 'Comma-separated keys, e.g. PAY,TEAM; empty allows any project' },
  { key: 'retentionDays', label: 'Retention (days)', type: 'number', hint: 'Page text and breakdowns of jobs untouched for this many days are deleted' },
  { key: 'issueTypeEpic', label: 'Issue type for epics', type: 'text', hint: 'A Jira issue type name or id; empty picks the project\'s Epic' },
  { key: 'issueTypeStory', label: 'Issue type for stories', type: 'text', hint: 'Empty picks Story, else Task' },
  { key: 'issueTypeSubtask', label: 'Issue type for sub-tasks', type: 'text', hint: 'Empty picks Sub-task; a standard type such as Task goes under the epic, related to its story' },
  { key: 'outputLanguage', label: 'Breakdown language', type: 'text', hint: 'A language code such as en, de or pt-BR; empty writes each breakdown in its page\'s language' },
  { key: 'generationTimeoutMinutes', label: 'Generation time limit (minutes)', type: 'number', hint: 'A job whose breakdown takes longer is stopped and fails with the reason' },
];

const LABELS: Record<string, string> = { ...Object.fromEntries(FIELDS.map((f) => [f.key, f.label])), 'secrets.atlassianApiToken': 'Atlassian API token' };

/** The API's validation message for one field ("retentionDays: Too small: expected number to be >=1"), in the page's words. */
export function fieldMessage(apiMessage: string, key: string): string {
  const label = LABELS[key] ?? key;
  const part = apiMessage
    .replace(/^[^:]*invalid:\s*/, '')
    .split('; ')
    .find((p) => p.startsWith(`${key}:`));
  const raw = (part ?? '').slice(key.length + 1).trim();
  const min = /Too small: expected number to be >=?\s*(\S+)/i.exec(raw);
  if (min) return `${label} must be at least ${min[1]}`;
  const max = /Too big: expected number to be <=?\s*(\S+)/i.exec(raw);
  if (max) return `${label} must be at most ${max[1]}`;
  if (/expected number|NaN|expected int/i.test(raw)) return `${label} must be a whole number`;
  if (/url/i.test(raw)) return `${label} must be an address such as https://your-company.atlassian.net`;
  if (/email/i.test(raw)) return `${label} must be an email address`;
  return raw ? `${label}: ${raw}` : `${label} was refused`;
}

const EMPTY_FORM: Record<EditableSetting, string> = {
  siteUrl: '',
  atlassianEmail: '',
  jiraProjectKey: '',
  allowedProjects: '',
  retentionDays: '',
  issueTypeEpic: '',
  issueTypeStory: '',
  issueTypeSubtask: '',
  outputLanguage: '',
  generationTimeoutMinutes: '',
};

export function SettingsPage({ api }: { api: ApiClient }) {
  const [view, setView] = useState<SettingsView | null>(null);
  const [form, setForm] = useState<Record<EditableSetting, string>>(EMPTY_FORM);
  const [token, setToken] = useState('');
  const [error, setError] = useState<ApiFailure | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [connection, setConnection] = useState<ConnectionTestResponse | 'testing' | null>(null);

  const show = (v: SettingsView) => {
    setView(v);
    setForm({
      siteUrl: v.values.siteUrl ?? '',
      atlassianEmail: v.values.atlassianEmail ?? '',
      jiraProjectKey: v.values.jiraProjectKey ?? '',
      allowedProjects: (v.values.allowedProjects ?? []).join(','),
      retentionDays: String(v.values.retentionDays ?? ''),
      issueTypeEpic: v.values.issueTypeEpic ?? '',
      issueTypeStory: v.values.issueTypeStory ?? '',
      issueTypeSubtask: v.values.issueTypeSubtask ?? '',
      outputLanguage: v.values.outputLanguage ?? '',
      generationTimeoutMinutes: String(v.values.generationTimeoutMinutes ?? ''),
    });
  };

  useEffect(() => {
    void api.settings().then((r) => (r.ok ? show(r.data) : setError(r)));
  }, [api]);

  if (!view) return error ? <ErrorBanner error={error} title="Settings could not be loaded" /> : <p className="loading">Loading settings…</p>;

  const submit = async () => {
    const update: SettingsUpdate = {};
    for (const f of FIELDS) {
      if (view.pinned.includes(f.key)) continue;
      const raw = form[f.key].trim();
      const current = view.values[f.key];
      if (raw === String(current ?? '')) continue;
      if (f.key === 'retentionDays' || f.key === 'generationTimeoutMinutes') update[f.key] = raw === '' ? null : Number(raw);
      else if (f.key === 'allowedProjects') update.allowedProjects = raw === '' ? null : raw.split(',').map((k) => k.trim());
      else update[f.key] = raw === '' ? null : raw;
    }
    if (token.trim()) update.secrets = { atlassianApiToken: token.trim() };
    setBusy(true);
    const r = await api.saveSettings(update);
    setBusy(false);
    if (!r.ok) {
      setError(r);
      setNotice(null);
      return;
    }
    setError(null);
    setToken('');
    setNotice('Settings saved.');
    show(r.data);
  };

  const secret = view.secrets.atlassianApiToken;
  return (
    <section aria-labelledby="settings-title" className="narrow">
      <h1 id="settings-title">Settings</h1>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {FIELDS.map((f) => {
          const pinned = view.pinned.includes(f.key);
          const invalid = error?.fields.includes(f.key);
          return (
            <div className="field" key={f.key}>
              <label htmlFor={`setting-${f.key}`}>{f.label}</label>
              <input
                id={`setting-${f.key}`}
                type={f.type}
                value={form[f.key]}
                disabled={pinned}
                aria-invalid={invalid || undefined}
                aria-describedby={`setting-${f.key}-hint`}
                onChange={(e) => setForm({ ...form, [f.key]: e.target.value })}
              />
              {invalid && error && (
                <small className="error-text" role="alert">
                  {fieldMessage(error.message, f.key)}
                </small>
              )}
              <small id={`setting-${f.key}-hint`} className="muted">
                {f.hint}
                {pinned ? ` — fixed by ${view.sources[f.key] === 'flag' ? 'a command-line flag' : 'an environment variable'}; change it there.` : ` (from: ${view.sources[f.key]})`}
              </small>
            </div>
          );
        })}
        <div className="field">
          <label htmlFor="setting-token">Atlassian API token</label>
          <input
            id="setting-token"
            type="password"
            autoComplete="off"
            value={token}
            disabled={!secret.writable}
            placeholder={secret.set ? 'set — type to replace' : 'not set'}
            aria-describedby="setting-token-hint"
            aria-invalid={error?.fields.some((f) => f.startsWith('secrets')) || undefined}
            onChange={(e) => setToken(e.target.value)}
          />
          <small id="setting-token-hint" className="muted">
            <span className={`flag ${secret.set ? 'flag-human' : 'flag-warning'}`}>{secret.set ? 'set' : 'not set'}</span> Stored in{' '}
            {secret.store === 'keychain' ? 'the system keychain' : secret.store === 'env' ? 'the environment (read-only here)' : 'memory only'}; it is never shown again.
          </small>
        </div>
        <ErrorBanner error={error && error.code === 'validation_failed' ? { ...error, message: error.fields.map((k) => fieldMessage(error.message, k)).join('. ') + '.', fields: [] } : error} title="Settings were not saved" />
        {notice && (
          <p className="banner banner-ok" role="status">
            {notice}
          </p>
        )}
        <div className="dialog-actions">
          <button type="submit" className="primary" disabled={busy}>
            Save settings
          </button>
          <button
            type="button"
            disabled={busy || connection === 'testing'}
            onClick={() => {
              setConnection('testing');
              void api.testConnection().then((r) => (r.ok ? setConnection(r.data) : (setConnection(null), setError(r))));
            }}
          >
            {connection === 'testing' ? 'Testing…' : 'Test connection'}
          </button>
        </div>
        {connection && connection !== 'testing' && (
          <ul className="connection-results" aria-label="Connection test">
            {(['confluence', 'jira'] as const).map((k) => (
              <li key={k} className={`finding ${connection[k].ok ? 'finding-ok' : 'finding-error'}`}>
                <strong>{k === 'jira' ? 'Jira' : 'Confluence'}:</strong> {connection[k].ok ? 'connected' : 'not working'} — {connection[k].message}
              </li>
            ))}
          </ul>
        )}
        <p className="muted small">Test connection uses the saved settings: save changes first.</p>
      </form>
    </section>
  );
}
