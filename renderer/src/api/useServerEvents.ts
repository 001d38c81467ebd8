// Live job, model and background-task status from the admin listener's Server-Sent Events stream (/api/events).
// One EventSource for the whole app; screens subscribe to what they show. The browser reconnects
// by itself after a dropped connection; a stream closed for good (401) is reported as such.

import { useEffect, useState } from 'react';
import type { JobStatusView } from '../../../core/server/jobView.ts';
import type { ModelStatus } from '../../../core/model/types.ts';
import type { BackgroundReport } from '../../../core/server/backgroundTasks.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface ServerEvents {
  live: LiveState;
  model: ModelStatus | null;
  /** The backend's own periodic tasks (retention), null until the stream sends them. */
  background: BackgroundReport | null;
  /** Latest job status pushed per job id, and a counter that moves on every job event. */
  jobs: ReadonlyMap<string, JobStatusView>;
  jobEvents: number;
}

/** `url` empty: not connected (no session yet). */
export function useServerEvents(url: string, onClosed?: () => void): ServerEvents {
  const [live, setLive] = useState<LiveState>('connecting');
  const [model, setModel] = useState<ModelStatus | null>(null);
  const [background, setBackground] = useState<BackgroundReport | null>(null);
  const [jobs, setJobs] = useState<ReadonlyMap<string, JobStatusView>>(new Map());
  const [jobEvents, setJobEvents] = useState(0);

  useEffect(() => {
    if (!url) return;
    const source = new EventSource(url, { withCredentials: true });
    source.onopen = () => setLive('live');
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setLive('closed');
        onClosed?.();
      } else setLive('reconnecting');
    };
    source.addEventListener('model', (e) => {
      try {
        setModel(JSON.parse((e as MessageEvent<string>).data) as ModelStatus);
      } catch {
        // A malformed event is ignored; the next one replaces it.
      }
    });
    source.addEventListener('background', (e) => {
      try {
        setBackground(JSON.parse((e as MessageEvent<string>).data) as BackgroundReport);
      } catch {
        // As for model events: the next one replaces it.
      }
    });
    source.addEventListener('job', (e) => {
      let job: JobStatusView;
      try {
        job = JSON.parse((e as MessageEvent<string>).data) as JobStatusView;
      } catch {
        return;
      }
      setJobs((prev) => new Map(prev).set(job.jobId, job));
      setJobEvents((n) => n + 1);
    });
    return () => source.close();
  }, [url, onClosed]);

  return { live, model, background, jobs, jobEvents };
}
