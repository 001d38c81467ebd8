// How times, states and counts read on screen.

import type { JobState } from '../../../core/jobs/states.ts';
import type { JobStatusView } from '../../../core/server/jobView.ts';

export const STATE_LABELS: Record<JobState, string> = {
  queued: 'Queued',
  fetching: 'Reading page',
  generating: 'Generating',
  awaiting_review: 'Awaiting review',
  approved: 'Approved',
  creating: 'Creating in Jira',
  done: 'Done',
  rejected: 'Rejected',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** "3 min ago", "2 h ago", "4 d ago" — the age of a job at a glance. */
export function age(iso: string, now: number = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function countsText(c: JobStatusView['counts']): string {
  if (!c) return '—';
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  const parts = [n(c.epics, 'epic', 'epics'), n(c.stories, 'story', 'stories'), n(c.subtasks, 'sub-task', 'sub-tasks')];
  if (c.created !== undefined) parts.push(`${c.created} created`);
  return parts.join(' · ');
}

/** "a", "a and b", "a, b and c". */
export function wordList(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}
