// The job's audit log as a section of the job page: closed until the reviewer opens it (the job
// detail does not carry the log, which grows with every decision, re-sync and Jira step); opened, it
// reads the newest page, reads the newest rows again whenever the job is reloaded, and reads the next
// older page on "Show older".

import { useState } from 'react';
import type { ApiClient } from '../api/client.ts';
import { RetryBanner } from '../app/RetryBanner.tsx';
import { AuditPanel } from './JobPanels.tsx';
import { useJobAudit } from './useJobData.ts';

export function AuditSection({ api, jobId, refresh }: { api: ApiClient; jobId: string; refresh: unknown }) {
  const [open, setOpen] = useState(false);
  const { state, showOlder, retry } = useJobAudit(api, jobId, open, refresh);
  return (
    <details className="panel audit-section" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <h2 id="audit-title">Audit log</h2> <span className="muted small">(newest first)</span>
      </summary>
      {open &&
        (state.status === 'ready' ? (
          <>
            {state.newer && (
              <RetryBanner lead="Newer entries could not be loaded" message={state.newer} onRetry={retry} />
            )}
            <AuditPanel audit={state.entries} />
            {state.nextBefore !== null ? (
              <p className="audit-more">
                <button type="button" className="small-button" disabled={state.older === 'loading'} onClick={showOlder}>
                  Show older
                </button>{' '}
                <span className="muted small">{state.entries.length} newest shown</span>{' '}
                {state.older === 'loading' && (
                  <span className="muted small" role="status">
                    Loading older entries…
                  </span>
                )}
                {state.older && state.older !== 'loading' && (
                  <span className="error-text small" role="alert">
                    Older entries could not be loaded: {state.older.failed}
                  </span>
                )}
              </p>
            ) : (
              state.entries.length > 0 && (
                <p className="muted small">
                  {state.entries.length} {state.entries.length === 1 ? 'entry' : 'entries'}, back to the job's first.
                </p>
              )
            )}
          </>
        ) : state.status === 'failed' ? (
          <RetryBanner lead="The audit log could not be loaded" message={state.message} onRetry={retry} />
        ) : (
          <p className="muted" role="status">
            Loading the audit log…
          </p>
        ))}
    </details>
  );
}
