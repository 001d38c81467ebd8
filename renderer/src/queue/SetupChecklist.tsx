// The first-start checklist on the review queue: what a fresh install still needs before the Forge
// app's first job can go through (Atlassian site and token, a Jira project, an API key for Forge, a
// model or the drafter), each with its state and a link to where it is set. Hidden once all are done.

import { useEffect, useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { ModelStatus } from '../../../core/model/types.ts';

interface Step {
  id: string;
  label: string;
  done: boolean;
  detail: string;
  href: string;
}

export function SetupChecklist({ api, model }: { api: ApiClient; model: ModelStatus | null }) {
  const [steps, setSteps] = useState<Step[] | null>(null);

  useEffect(() => {
    let stale = false;
    void Promise.all([api.settings(), api.keys(), api.model()]).then(([settings, keys, engine]) => {
      if (stale || !settings.ok || !keys.ok) return;
      const v = settings.data.values;
      const token = settings.data.secrets.atlassianApiToken?.set ?? false;
      const now = Date.now();
      const activeKeys = keys.data.keys.filter((k) => !k.revokedAt || Date.parse(k.revokedAt) > now).length;
      const status = model ?? (engine.ok ? engine.data.status : null);
      const engineName = engine.ok ? engine.data.engine : '';
      const modelReady = status?.state === 'ready' || status?.state === 'generating' || engineName === 'drafter';
      setSteps([
        {
          id: 'atlassian',
          label: 'Atlassian site and API token',
          done: !!v.siteUrl && !!v.atlassianEmail && token,
          detail: v.siteUrl ? `${v.siteUrl}${v.atlassianEmail ? ` as ${v.atlassianEmail}` : ', no service account email'}${token ? '' : ', no API token'}` : 'No site set',
          href: '#/settings',
        },
        { id: 'project', label: 'Jira project', done: !!v.jiraProjectKey, detail: v.jiraProjectKey ? `Issues go to ${v.jiraProjectKey}` : 'No project set: approval has nowhere to create issues', href: '#/settings' },
        { id: 'key', label: 'API key for the Forge app', done: activeKeys > 0, detail: activeKeys > 0 ? `${activeKeys} active key${activeKeys === 1 ? '' : 's'}` : 'Create one and paste it into the Forge app', href: '#/keys' },
        {
          id: 'model',
          label: 'Model or drafter',
          done: modelReady,
          detail: status?.state === 'ready' ? `Model ${status.model} ready` : engineName === 'drafter' ? 'Breakdowns are drafted without a model' : status?.state === 'error' ? status.message : 'No model loaded yet',
          href: '#/models',
        },
      ]);
    });
    return () => {
      stale = true;
    };
  }, [api, model]);

  if (!steps || steps.every((s) => s.done)) return null;
  const left = steps.filter((s) => !s.done).length;
  return (
    <section className="panel" aria-labelledby="setup-title">
      <h2 id="setup-title">Set up Spec2Tickets ({left} step{left === 1 ? '' : 's'} left)</h2>
      <ul className="checklist">
        {steps.map((s) => (
          <li key={s.id}>
            <span className={s.done ? 'check-done' : 'check-todo'} aria-label={s.done ? 'done' : 'to do'}>
              {s.done ? '✓' : '○'}
            </span>
            <a href={s.href}>{s.label}</a> <span className="muted small">{s.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
