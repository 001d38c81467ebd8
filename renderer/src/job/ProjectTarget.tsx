// The Jira project a job will create its issues in, shown in the job's header; while the job awaits
// review the reviewer can change it (or return it to the backend's default) before approving.

import { useState } from 'react';
import type { JobDetailResponse } from '../../../core/server/admin.ts';

const KEY = /^[A-Z][A-Z0-9_]{0,9}$/;

export function ProjectTarget(p: {
  target: JobDetailResponse['targetProject'];
  /** The job's own project (null: it follows the backend default). */
  jobProject: string | null;
  editable: boolean;
  busy: boolean;
  onChange: (projectKey: string | null) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(p.target?.key ?? '');
  const key = value.trim().toUpperCase();
  const valid = KEY.test(key);
  return (
    <div className="project-target" aria-label="Jira project">
      <span>
        Creates issues in Jira project{' '}
        {p.target ? <strong data-testid="target-project">{p.target.key}</strong> : <strong className="error-text">none set</strong>}
        {p.target?.source === 'settings' && <span className="muted small"> (backend default)</span>}
      </span>
      {p.editable && !editing && (
        <button type="button" className="link-button" disabled={p.busy} onClick={() => setEditing(true)}>
          Change project…
        </button>
      )}
      {p.editable && editing && (
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (!valid) return;
            p.onChange(key);
            setEditing(false);
          }}
        >
          <label htmlFor="project-key">Project key</label>
          <input id="project-key" value={value} maxLength={10} onChange={(e) => setValue(e.target.value)} aria-invalid={!valid} />
          <button type="submit" disabled={p.busy || !valid}>
            Use this project
          </button>
          {p.jobProject && (
            <button
              type="button"
              disabled={p.busy}
              onClick={() => {
                p.onChange(null);
                setEditing(false);
              }}
            >
              Use the backend default
            </button>
          )}
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
          {!valid && value.trim() !== '' && <span className="error-text small">A project key is a capital letter, then up to 9 capital letters, digits or _ (e.g. PAY).</span>}
        </form>
      )}
    </div>
  );
}
