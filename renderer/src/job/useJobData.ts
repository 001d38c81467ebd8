// Loading what the job page shows: the job detail (again on every pushed event for the job, keeping
// unsaved edits) and the parsed page (once per job and page snapshot; a snapshot never changes).

import { useCallback, useEffect, useRef, useState, type Dispatch } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { ServerEvents } from '../api/useServerEvents.ts';
import type { JobPageResponse } from '../../../core/server/reviewRoutes.ts';
import type { JobAction } from './jobReducer.ts';

/** Loads the job; `reload(keepDraft)` reads it again. */
export function useJobDetail(api: ApiClient, jobId: string, events: ServerEvents, dispatch: Dispatch<JobAction>) {
  /** The job as last loaded (`updatedAt|state`) and the load in flight, so an event about what is already on screen reads nothing. */
  const loaded = useRef('');
  const inFlight = useRef<Promise<void> | null>(null);
  const reload = useCallback(
    (keepDraft: boolean) => {
      const run = (async () => {
        const r = await api.job(jobId);
        if (r.ok) {
          loaded.current = `${r.data.job.updatedAt}|${r.data.job.state}`;
          dispatch({ type: 'loaded', detail: r.data, keepDraft });
        } else dispatch({ type: 'loadFailed', error: r });
      })();
      inFlight.current = run;
      return run;
    },
    [api, jobId, dispatch],
  );
  // Once per job (and client): an effect run again for the same one (React's strict mode mounts twice
  // in development) does not read the job a second time.
  const startedFor = useRef<typeof reload | null>(null);
  useEffect(() => {
    if (startedFor.current === reload) return;
    startedFor.current = reload;
    // Keeping a draft here matters: a pushed event's load may land first and a restored draft in between.
    void reload(true);
  }, [reload]);

  // A pushed event for this job (state change, progress): read it again, keeping unsaved edits.
  const pushed = events.jobs.get(jobId);
  const stamp = pushed ? `${pushed.updatedAt}|${pushed.state}` : '';
  useEffect(() => {
    if (!stamp) return;
    // The stream's first message repeats every open job as it is: a 1,000-item job is not read and
    // rendered a second time right after its first load for that.
    void (async () => {
      await inFlight.current;
      if (stamp !== loaded.current) await reload(true);
    })();
    // Whether unsaved edits are kept is the reducer's rule (keepDraft keeps them only when dirty).
  }, [stamp, reload]);
  return reload;
}

/** The parsed page of the job's snapshot `version` (null: none yet). */
export function useJobPage(api: ApiClient, jobId: string, version: number | null): JobPageResponse | null {
  const [page, setPage] = useState<JobPageResponse | null>(null);
  useEffect(() => {
    if (version === null) return;
    let stale = false;
    void api.page(jobId).then((r) => {
      if (stale) return;
      setPage(r.ok ? r.data : { jobId, snapshotVersion: version, page: null, reason: `The page could not be loaded: ${r.message}` });
    });
    return () => {
      stale = true;
    };
  }, [api, jobId, version]);
  return page;
}
