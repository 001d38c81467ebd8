// Loading what the job page shows: the job detail (again on every pushed event for the job, keeping
// unsaved edits), the parsed page (once per job and page snapshot; a snapshot never changes) and, only
// once the reviewer opens the changes, the generated version of the breakdown (kept per job and
// version: a version never changes, and the detail's reloads on pushed events do not read it again);
// only while the reviewer has the audit section open, the audit log a page at a time.

import { useCallback, useEffect, useRef, useState, type Dispatch } from 'react';
import type { ApiClient } from '../api/client.ts';
import type { ServerEvents } from '../api/useServerEvents.ts';
import type { JobPageResponse } from '../../../core/server/reviewRoutes.ts';
import type { JobAuditResponse } from '../../../core/server/admin.ts';
import type { AuditEntry } from '../../../core/store/types.ts';
import type { Breakdown } from '../../../core/breakdown/schema.ts';
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

/** The generated breakdown as the diff panel needs it: not asked for, on its way, there (null once purged), or why not. */
export type GeneratedState = { status: 'idle' } | { status: 'loading' } | { status: 'ready'; body: Breakdown | null } | { status: 'failed'; message: string };

/** Generated versions read in this window, by job and version number; a few jobs' worth (a 1,000-item one is ~180 KiB of JSON). */
const generatedCache = new Map<string, Breakdown | null>();
const GENERATED_KEPT = 4;
const generatedKey = (jobId: string, versionNo: number) => `${jobId}\u0000${versionNo}`;

function keepGenerated(key: string, body: Breakdown | null): void {
  generatedCache.delete(key);
  generatedCache.set(key, body);
  if (generatedCache.size > GENERATED_KEPT) generatedCache.delete(generatedCache.keys().next().value!);
}

/**
 * The job's generated breakdown, version `versionNo` (the job detail's `breakdown.generated`), read
 * only while `wanted` (the diff is open) and at most once per job and version in this window.
 * `retry` asks again after a failure.
 */
export function useGeneratedBreakdown(api: ApiClient, jobId: string, versionNo: number | null, wanted: boolean): { state: GeneratedState; retry: () => void } {
  const key = versionNo === null ? null : generatedKey(jobId, versionNo);
  const [fetched, setFetched] = useState<{ key: string; state: GeneratedState } | null>(null);
  const [attempt, setAttempt] = useState(0);
  const cached = key !== null && generatedCache.has(key);
  useEffect(() => {
    if (!wanted || key === null || generatedCache.has(key)) return;
    let stale = false;
    setFetched({ key, state: { status: 'loading' } });
    void api.generated(jobId).then((r) => {
      const body = r.ok ? ((r.data.generated.body ?? null) as Breakdown | null) : null;
      // Kept under the version the answer is (a retried job may have generated a newer one since the
      // detail was read), even when the diff was closed meanwhile: opening it again needs no request.
      if (r.ok) keepGenerated(generatedKey(jobId, r.data.generated.versionNo), body);
      if (stale) return;
      setFetched({ key, state: r.ok ? { status: 'ready', body } : { status: 'failed', message: r.message } });
    });
    return () => {
      stale = true;
    };
  }, [api, jobId, key, wanted, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  let state: GeneratedState = { status: 'idle' };
  if (key !== null && wanted) {
    if (cached) state = { status: 'ready', body: generatedCache.get(key) ?? null };
    else if (fetched?.key === key) state = fetched.state;
    else state = { status: 'loading' };
  }
  return { state, retry };
}

/** Rows the audit section reads per request (the API allows up to 500). */
export const AUDIT_PAGE = 50;

/**
 * The audit section's rows, newest first: not asked for, the first page on its way, shown (with the
 * cursor of the next older page), or why the first page could not be read. `older` is the "Show
 * older" request: on its way, or its failure; `newer` a failed re-read of the newest rows.
 */
export type AuditState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'failed'; message: string }
  | { status: 'ready'; entries: AuditEntry[]; nextBefore: number | null; older: 'loading' | { failed: string } | null; newer: string | null };

type AuditReady = Extract<AuditState, { status: 'ready' }>;

/**
 * The newest page read again, put in front of the rows on screen: when it reaches back to them, only
 * its newer rows are added (older pages read so far stay); when more rows arrived than a page holds,
 * it replaces them (the rows in between are then one "Show older" away, not skipped).
 */
export function mergeNewest(shown: AuditReady | null, page: JobAuditResponse): AuditReady {
  if (!shown) return { status: 'ready', entries: page.entries, nextBefore: page.nextBefore, older: null, newer: null };
  const newestShown = shown.entries[0]?.id ?? 0;
  const reaches = page.nextBefore === null || page.entries.some((e) => e.id <= newestShown);
  if (!reaches || shown.entries.length === 0) return { status: 'ready', entries: page.entries, nextBefore: page.nextBefore, older: null, newer: null };
  const fresh = page.entries.filter((e) => e.id > newestShown);
  return { ...shown, entries: fresh.length ? [...fresh, ...shown.entries] : shown.entries, newer: null };
}

/**
 * The job's audit log for the audit section, read only while `open`: the first page when it opens,
 * the newest rows again on each `refresh` change while open (a reload of the detail), and the next
 * older page on `showOlder`. `retry` reads the newest page again after a failure.
 */
export function useJobAudit(api: ApiClient, jobId: string, open: boolean, refresh: unknown): { state: AuditState; showOlder: () => void; retry: () => void } {
  const [held, setHeld] = useState<{ jobId: string; state: AuditState }>({ jobId, state: { status: 'idle' } });
  const [attempt, setAttempt] = useState(0);
  const state: AuditState = held.jobId === jobId ? held.state : { status: 'idle' };
  useEffect(() => {
    if (!open) return;
    let stale = false;
    setHeld((h) => (h.jobId === jobId && h.state.status === 'ready' ? h : { jobId, state: { status: 'loading' } }));
    void api.audit(jobId, { limit: AUDIT_PAGE }).then((r) => {
      if (stale) return;
      setHeld((h) => {
        const shown = h.jobId === jobId && h.state.status === 'ready' ? h.state : null;
        if (r.ok) return { jobId, state: mergeNewest(shown, r.data) };
        // Rows already on screen stay; the failure is said beside them.
        return { jobId, state: shown ? { ...shown, newer: r.message } : { status: 'failed', message: r.message } };
      });
    });
    return () => {
      stale = true;
    };
  }, [api, jobId, open, refresh, attempt]);

  const nextBefore = state.status === 'ready' ? state.nextBefore : null;
  const olderLoading = state.status === 'ready' && state.older === 'loading';
  const showOlder = useCallback(() => {
    if (nextBefore === null || olderLoading) return;
    const same = (h: { jobId: string; state: AuditState }): h is { jobId: string; state: AuditReady } => h.jobId === jobId && h.state.status === 'ready' && h.state.nextBefore === nextBefore;
    setHeld((h) => (same(h) ? { jobId, state: { ...h.state, older: 'loading' } } : h));
    void api.audit(jobId, { limit: AUDIT_PAGE, before: nextBefore }).then((r) => {
      setHeld((h) => {
        // A newer page that replaced the rows meanwhile (or another job) makes this answer moot.
        if (!same(h)) return h;
        if (!r.ok) return { jobId, state: { ...h.state, older: { failed: r.message } } };
        const seen = new Set(h.state.entries.map((e) => e.id));
        return { jobId, state: { ...h.state, entries: [...h.state.entries, ...r.data.entries.filter((e) => !seen.has(e.id))], nextBefore: r.data.nextBefore, older: null } };
      });
    });
  }, [api, jobId, nextBefore, olderLoading]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return { state, showOlder, retry };
}
