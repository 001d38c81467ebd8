// Unsaved edits survive a reload, a closed window and an expired session: the draft of a job is kept
// in this browser's localStorage under the job and the breakdown version it was edited from, written
// shortly after each change (and at once when the page goes away), removed when saved or discarded.
// A draft of an older version is not restored over a newer saved one; the reviewer is told instead.

import { useEffect, useRef, type Dispatch } from 'react';
import { BreakdownSchema, type Breakdown } from '../../../core/breakdown/schema.ts';
import type { JobAction } from './jobReducer.ts';

const PREFIX = 'spec2tickets.draft.';
const WRITE_DELAY_MS = 400;

export const draftKey = (jobId: string, versionNo: number): string => `${PREFIX}${jobId}.v${versionNo}`;

interface StoredDraft {
  savedAt: string;
  breakdown: Breakdown;
}

function read(key: string): StoredDraft | null {
  try {
    const raw = window.localStorage.getItem(key);
    if (!raw) return null;
    const o = JSON.parse(raw) as { savedAt?: unknown; breakdown?: unknown };
    const b = BreakdownSchema.safeParse(o.breakdown);
    // A draft may be mid-edit (an empty title): restore it as typed, as long as it has the breakdown's shape.
    const shaped = b.success ? b.data : (o.breakdown as Breakdown | undefined);
    if (typeof o.savedAt !== 'string' || !shaped || !Array.isArray(shaped.epics)) return null;
    return { savedAt: o.savedAt, breakdown: shaped };
  } catch {
    return null;
  }
}

/** Drafts of this job kept for other (older) versions than `versionNo`. */
function otherVersions(jobId: string, versionNo: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < window.localStorage.length; i++) {
    const k = window.localStorage.key(i);
    if (k?.startsWith(`${PREFIX}${jobId}.v`) && k !== draftKey(jobId, versionNo)) out.push(k);
  }
  return out;
}

export function useLocalDraft(o: { jobId: string; versionNo: number | null; editable: boolean; draft: Breakdown | null; dirty: boolean; dispatch: Dispatch<JobAction> }): void {
  const { jobId, versionNo, editable, draft, dirty, dispatch } = o;
  const restoredFor = useRef<number | null>(null);

  // Restore once per loaded version.
  useEffect(() => {
    if (versionNo === null || !editable || restoredFor.current === versionNo) return;
    restoredFor.current = versionNo;
    const stored = read(draftKey(jobId, versionNo));
    if (stored) dispatch({ type: 'restored', draft: stored.breakdown, savedAt: stored.savedAt });
    const stale = otherVersions(jobId, versionNo);
    if (stale.length > 0) {
      for (const k of stale) window.localStorage.removeItem(k);
      if (!stored) dispatch({ type: 'notice', text: 'Unsaved edits of an earlier version of this breakdown were dropped: a newer version was saved since.' });
    }
  }, [jobId, versionNo, editable, dispatch]);

  // Keep the draft while it differs from the saved version; forget it once saved or discarded.
  const pending = useRef<(() => void) | null>(null);
  const wasDirty = useRef(false);
  useEffect(() => {
    if (versionNo === null) return;
    const key = draftKey(jobId, versionNo);
    if (!dirty || !draft) {
      pending.current = null;
      if (wasDirty.current) window.localStorage.removeItem(key);
      wasDirty.current = false;
      return;
    }
    wasDirty.current = true;
    const write = () => {
      pending.current = null;
      try {
        window.localStorage.setItem(key, JSON.stringify({ savedAt: new Date().toISOString(), breakdown: draft } satisfies StoredDraft));
      } catch {
        // Storage full or disabled: the in-memory draft and the leave warning still protect the edits.
      }
    };
    pending.current = write;
    const t = setTimeout(write, WRITE_DELAY_MS);
    return () => clearTimeout(t);
  }, [jobId, versionNo, draft, dirty]);

  // The page going away (reload, closed window) or the screen unmounting (expired session, another
  // route) writes a pending draft at once.
  useEffect(() => {
    const flush = () => pending.current?.();
    window.addEventListener('pagehide', flush);
    return () => {
      window.removeEventListener('pagehide', flush);
      flush();
    };
  }, []);
}
