// What the macro shows for a job: the backend's status turned into words and numbers a page
// reader understands (state, a progress line, counts, created issues with links, the error, what a
// re-sync changes in Jira), whether to offer updating the Jira issues because the page changed since
// they were made, and when to ask again. The macro renders this as it is; all the wording lives here.

import type { JobStatusResponse } from '#src/contract/publicApi';

type JobState = JobStatusResponse['state'];

export interface MacroJobView {
  jobId: string;
  pageId: string;
  state: JobState;
  /** Short label for a lozenge, e.g. "Waiting for review". */
  label: string;
  tone: 'neutral' | 'progress' | 'attention' | 'success' | 'failure';
  /** One sentence saying what is happening or what to do next (English). */
  summary: string;
  /** The same sentence as a translation key (locales/*.json, under macro.summary) and its values, for the UI. */
  summaryKey: SummaryKey;
  summaryParams: Record<string, string | number>;
  /** 0…1 when the backend reports how far it is, else null. */
  fraction: number | null;
  counts: { epics: number; stories: number; subtasks: number } | null;
  issues: { itemId: string; key: string; url: string }[];
  /** A readable error, when the job failed or was refused. */
  error: string | null;
  /** What the reviewer wrote when rejecting the breakdown, when they gave a reason. */
  rejectionReason: string | null;
  /** Set when the page has a newer version than the one this breakdown was made from. */
  pageChanged: { from: number; to: number } | null;
  /**
   * Set when this job updates the issues an earlier breakdown put into Jira (a re-sync): the version
   * those issues were made from (the newest, when several) and the version this job reads.
   */
  resync: { from: number | null; to: number | null } | null;
  /**
   * Set when the page changed since its last breakdown that reached Jira and nothing is under way:
   * the macro offers "Update the Jira issues from this version" (from: the issues' version, to: now).
   */
  resyncOffer: { from: number; to: number } | null;
  /** Whether this user may request a new breakdown (they can edit the page). */
  canRequest: boolean;
  /** When to poll again; null once the job cannot change on its own any more. */
  pollAfterMs: number | null;
  updatedAt: string;
}

const LABELS = {
  queued: ['Queued', 'neutral'],
  fetching: ['Reading page', 'progress'],
  generating: ['Drafting', 'progress'],
  awaiting_review: ['Waiting for review', 'attention'],
  approved: ['Approved', 'progress'],
  creating: ['Creating issues', 'progress'],
  done: ['Done', 'success'],
  rejected: ['Rejected', 'failure'],
  failed: ['Failed', 'failure'],
  cancelled: ['Cancelled', 'neutral'],
} as const satisfies Record<JobState, readonly [string, MacroJobView['tone']]>;

/** Polling intervals: quick while the machine works, slower while a person reviews. */
const POLL_WORKING_MS = 3000;
const POLL_REVIEW_MS = 10_000;

export interface PageNow {
  /** The page's version in Confluence now, when Confluence said. */
  currentPageVersion: number | null;
  canEdit: boolean;
}

export function macroJobView(s: JobStatusResponse, page: PageNow = { currentPageVersion: null, canEdit: false }): MacroJobView {
  const [label, tone] = LABELS[s.state];
  const pollAfterMs = pollAfter(s.state);
  const resync = s.resync ? { from: s.resync.fromVersions.length > 0 ? Math.max(...s.resync.fromVersions) : null, to: s.resync.toVersion ?? s.pageVersion } : null;
  const last = s.page?.lastBreakdown ?? null;
  const now = page.currentPageVersion ?? s.page?.latestKnownVersion ?? null;
  // Only once this job stopped: a re-sync under way (or a draft in review) is the answer already.
  const resyncOffer = pollAfterMs === null && s.page?.changedSince === true && last !== null && last.version !== null && now !== null && now > last.version ? { from: last.version, to: now } : null;
  const pageChanged = s.pageVersion !== null && page.currentPageVersion !== null && page.currentPageVersion > s.pageVersion ? { from: s.pageVersion, to: page.currentPageVersion } : null;
  const rejectionReason = s.state === 'rejected' && typeof s.rejectionReason === 'string' && s.rejectionReason.trim() !== '' ? s.rejectionReason.trim() : null;
  const counts = s.counts ? { epics: s.counts.epics, stories: s.counts.stories, subtasks: s.counts.subtasks } : null;
  return {
    jobId: s.jobId,
    pageId: s.pageId,
    state: s.state,
    label,
    tone,
    ...summarise(s, counts, rejectionReason),
    fraction: fractionOf(s),
    counts,
    issues: s.issues.map((i) => ({ itemId: i.itemId, key: i.key, url: i.url })),
    error: s.error ? s.error.message : null,
    rejectionReason,
    pageChanged,
    resync,
    resyncOffer,
    canRequest: page.canEdit,
    pollAfterMs,
    updatedAt: s.updatedAt,
  };
}

function pollAfter(state: JobState): number | null {
  switch (state) {
    case 'queued':
    case 'fetching':
    case 'generating':
    case 'approved':
    case 'creating':
      return POLL_WORKING_MS;
    case 'awaiting_review':
      return POLL_REVIEW_MS;
    case 'done':
    case 'rejected':
    case 'failed':
    case 'cancelled':
      return null;
    default:
      void (state satisfies never);
      return null;
  }
}

function countsText(c: MacroJobView['counts']): string {
  if (!c) return '';
  const part = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return `${part(c.epics, 'epic', 'epics')}, ${part(c.stories, 'story', 'stories')}, ${part(c.subtasks, 'sub-task', 'sub-tasks')}`;
}

/** The summary sentences, each a key of macro.summary in the translations. */
export const SUMMARY_KEYS = [
  'queued',
  'fetching',
  'generating',
  'generatingSection',
  'awaitingReview',
  'resyncPlanning',
  'resyncReview',
  'approved',
  'creating',
  'creatingCount',
  'done',
  'resyncDone',
  'resyncDoneHeld',
  'rejected',
  'rejectedReason',
  'failed',
  'cancelled',
] as const;
export type SummaryKey = (typeof SUMMARY_KEYS)[number];

type Summary = Pick<MacroJobView, 'summary' | 'summaryKey' | 'summaryParams'>;
const say = (summaryKey: SummaryKey, summary: string, summaryParams: Record<string, string | number> = {}): Summary => ({ summary, summaryKey, summaryParams });

function summarise(s: JobStatusResponse, counts: MacroJobView['counts'], rejectionReason: string | null): Summary {
  const p = s.progress;
  switch (s.state) {
    case 'queued':
      return say('queued', 'Waiting for the Spec2Tickets backend to start on this page.');
    case 'fetching':
      return say('fetching', 'Reading the page from Confluence.');
    case 'generating': {
      const section = num(p.section);
      const sections = num(p.sections);
      return section && sections ? say('generatingSection', `Drafting the breakdown: section ${section} of ${sections}.`, { section, sections }) : say('generating', 'Drafting the breakdown.');
    }
    case 'awaiting_review':
      if (s.resync) {
        const c = s.resync.counts;
        if (!c) return say('resyncPlanning', 'Draft ready; Spec2Tickets is working out which Jira issues it changes. A reviewer approves the changes before anything changes in Jira.');
        return say(
          'resyncReview',
          `Update ready for review (to update: ${c.update}, to mark as no longer on the page: ${c.mark}, to create: ${c.create}). A reviewer approves it in Spec2Tickets before anything changes in Jira.`,
          { update: c.update, mark: c.mark, create: c.create },
        );
      }
      return say('awaitingReview', `Draft ready (${countsText(counts)}). A reviewer approves it in Spec2Tickets before anything is created in Jira.`, {
        epics: counts?.epics ?? 0,
        stories: counts?.stories ?? 0,
        subtasks: counts?.subtasks ?? 0,
      });
    case 'approved':
      return say('approved', 'Approved; Jira issues will be created shortly.');
    case 'creating': {
      const message = typeof p.message === 'string' ? p.message : null;
      const done = num(p.done);
      const total = num(p.total);
      const count = done !== null && total ? ` (${done} of ${total})` : '';
      const text = `Creating Jira issues${count}.${message ? ` ${message}.` : ''}`.replace(/\.\.$/, '.');
      return done !== null && total ? say('creatingCount', text, { done, total }) : say('creating', text);
    }
    case 'done':
      if (s.resync?.applied) {
        const a = s.resync.applied;
        const created = s.issues.length;
        return a.held > 0
          ? say('resyncDoneHeld', `Jira issues updated from the page: ${a.updated} updated, ${a.marked} marked as no longer on the page, ${created} created; ${a.held} left as they are because someone changed them in Jira.`, {
              updated: a.updated,
              marked: a.marked,
              created,
              held: a.held,
            })
          : say('resyncDone', `Jira issues updated from the page: ${a.updated} updated, ${a.marked} marked as no longer on the page, ${created} created.`, { updated: a.updated, marked: a.marked, created });
      }
      return say('done', `Created ${s.issues.length} Jira ${s.issues.length === 1 ? 'issue' : 'issues'}.`, { count: s.issues.length });
    case 'rejected':
      return rejectionReason
        ? say('rejectedReason', `The reviewer rejected this breakdown: “${rejectionReason}”. Nothing was created in Jira.`, { reason: rejectionReason })
        : say('rejected', 'The reviewer rejected this breakdown; nothing was created in Jira.');
    case 'failed': {
      const reason = s.error?.message ?? 'no reason was given';
      return say('failed', `The job failed: ${reason}.`.replace(/\.\.$/, '.'), { reason: reason.replace(/\.$/, '') });
    }
    case 'cancelled':
      return say('cancelled', 'The job was cancelled in Spec2Tickets; nothing more will be created.');
    default:
      void (s.state satisfies never);
      return say('failed', '', { reason: '' });
  }
}

function fractionOf(s: JobStatusResponse): number | null {
  const p = s.progress;
  if (s.state === 'generating') {
    const section = num(p.section);
    const sections = num(p.sections);
    if (section !== null && sections) return clamp((section - 1) / sections);
  }
  if (s.state === 'creating') {
    const done = num(p.done);
    const total = num(p.total);
    if (done !== null && total) return clamp(done / total);
  }
  if (s.state === 'done') return 1;
  return null;
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const clamp = (x: number): number => Math.min(1, Math.max(0, x));
