// The review queue: jobs filtered by state, the ones awaiting review first, refreshed whenever the
// backend pushes a job event.

import { useEffect, useState } from 'react';
import type { ApiClient, ApiFailure } from '../api/client.ts';
import type { ServerEvents } from '../api/useServerEvents.ts';
import type { JobStatusView } from '../../../core/server/jobView.ts';
import { JOB_STATES, type JobState } from '../../../core/jobs/states.ts';
import { STATE_LABELS, age, countsText } from '../app/format.ts';
import { ErrorBanner } from '../app/ErrorBanner.tsx';
import { SetupChecklist } from './SetupChecklist.tsx';
import { progressText } from '../job/JobDecisions.tsx';

const FILTERS = {
  review: { label: 'Awaiting review', states: ['awaiting_review'] },
  open: { label: 'Open (not finished)', states: ['queued', 'fetching', 'generating', 'awaiting_review', 'approved', 'creating'] },
  all: { label: 'All jobs', states: [] },
  ...Object.fromEntries(JOB_STATES.map((s) => [s, { label: `Only: ${STATE_LABELS[s]}`, states: [s] }])),
} as Record<string, { label: string; states: JobState[] }>;

/** Awaiting review first, then the newest. */
export function queueOrder(a: JobStatusView, b: JobStatusView): number {
  const ra = a.state === 'awaiting_review' ? 0 : 1;
  const rb = b.state === 'awaiting_review' ? 0 : 1;
  return ra - rb || b.createdAt.localeCompare(a.createdAt);
}

export function QueuePage({ api, events }: { api: ApiClient; events: ServerEvents }) {
  const [filter, setFilter] = useState('open');
  const [jobs, setJobs] = useState<JobStatusView[] | null>(null);
  const [defaultProject, setDefaultProject] = useState<string | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [, tick] = useState(0);

  useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      void api.listJobs(FILTERS[filter]?.states ?? []).then((r) => {
        if (stale) return;
        if (r.ok) {
          setJobs([...r.data.jobs].sort(queueOrder));
          setDefaultProject(r.data.defaultProjectKey ?? null);
          setError(null);
        } else setError(r);
      });
    }, 100); // events come in bursts (one per state change); one request per burst
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [api, filter, events.jobEvents]);

  // Ages move on without events.
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);

  return (
    <section aria-labelledby="queue-title">
      <div className="page-head">
        <h1 id="queue-title">Review queue</h1>
        <label className="inline-field">
          Show
          <select value={filter} onChange={(e) => setFilter(e.target.value)}>
            {Object.entries(FILTERS).map(([k, f]) => (
              <option key={k} value={k}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <SetupChecklist api={api} model={events.model} />
      <ErrorBanner error={error} title="The job list could not be loaded" />
      {jobs === null && !error && <p className="loading">Loading jobs…</p>}
      {jobs && jobs.length === 0 && <p className="empty">No jobs here. Jobs appear when someone clicks “Generate Jira breakdown” on a Confluence page.</p>}
      {jobs && jobs.length > 0 && (
        <table className="queue">
          <thead>
            <tr>
              <th scope="col">Page</th>
              <th scope="col">State</th>
              <th scope="col">Requested by</th>
              <th scope="col">Jira project</th>
              <th scope="col">Age</th>
              <th scope="col">Items</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((j) => {
              const live = events.jobs.get(j.jobId);
              const state = live && live.updatedAt > j.updatedAt ? live.state : j.state;
              return (
                <tr key={j.jobId} className={state === 'awaiting_review' ? 'row-attention' : undefined}>
                  <td>
                    <a href={`#/jobs/${encodeURIComponent(j.jobId)}`} className="job-link">
                      {j.pageTitle ?? `Page ${j.pageId}`}
                    </a>
                    <div className="muted small">
                      page {j.pageId}
                      {j.pageVersion !== null ? ` v${j.pageVersion}` : ''} · job {j.jobId.slice(0, 8)}
                    </div>
                  </td>
                  <td>
                    <span className={`state state-${state}`}>{STATE_LABELS[state]}</span>
                    {j.error && <div className="error-text small">{j.error.message}</div>}
                    {j.rejectionReason && <div className="muted small">“{j.rejectionReason}”</div>}
                    {(() => {
                      const p = progressText(live && live.updatedAt > j.updatedAt ? live : j);
                      return p && <div className="muted small">{p}</div>;
                    })()}
                  </td>
                  <td>{j.requestedBy}</td>
                  <td className="project-cell">
                    {j.projectKey ?? defaultProject ?? <span className="error-text small">none set</span>}
                    {!j.projectKey && defaultProject && <div className="muted small">backend default</div>}
                  </td>
                  <td title={j.createdAt}>{age(j.createdAt)}</td>
                  <td className="small">{countsText(j.counts)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
