// The re-sync plan of a job (what approval will update, mark, create and hold among the issues the
// page already made), loaded once per job change and shared by the re-sync panel and the approve
// dialog, so both show the same counts. A decision's answer replaces it.

import { useCallback, useEffect, useState } from 'react';
import type { ApiClient, ApiFailure } from '../api/client.ts';
import type { ResyncResponse } from '../../../core/server/resyncRoutes.ts';

export interface ResyncState {
  res: ResyncResponse | null;
  error: ApiFailure | null;
  /** A decision's answer (the plan with its new counts), or a failed request. */
  set: (r: { ok: true; data: ResyncResponse } | ApiFailure) => void;
}

/** Loads the plan when `refreshKey` changes (state, duplicate search, saved version); `enabled` false loads nothing. */
export function useResync(api: ApiClient, jobId: string, refreshKey: string, enabled: boolean): ResyncState {
  const [res, setRes] = useState<ResyncResponse | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    void api.resync(jobId).then((r) => {
      if (!live) return;
      if (r.ok) {
        setRes(r.data);
        setError(null);
      } else setError(r);
    });
    return () => {
      live = false;
    };
  }, [api, jobId, refreshKey, enabled]);
  const set = useCallback<ResyncState['set']>((r) => {
    if (r.ok) {
      setRes(r.data);
      setError(null);
    } else setError(r);
  }, []);
  return { res, error, set };
}
