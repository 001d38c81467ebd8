// Applies the reviewer's "skip" decisions (an issue for this item already exists in Jira) to the
// breakdown that is sent to Jira. A skipped item without children is left out, and dependencies on
// it dropped. A skipped item that still has children is the existing issue: it is not created, its
// children go under that issue and dependencies on it link to it — so a page broken down again adds
// its new stories to the epic Jira already has instead of a second copy of that epic.

import type { Breakdown } from '../breakdown/schema.ts';

/** Who decided when an item cites exactly the blocks an issue from an earlier job of the page came from. */
export const UNCHANGED_ON_PAGE = 'system: unchanged on the page';

export function childCount(b: Breakdown, itemId: string): number | undefined {
  for (const e of b.epics) {
    if (e.id === itemId) return e.stories.length;
    for (const s of e.stories) {
      if (s.id === itemId) return s.subtasks.length;
      if (s.subtasks.some((t) => t.id === itemId)) return 0;
    }
  }
  return undefined;
}

export interface SkipsApplied {
  /** The breakdown without the skipped items that have no children left. */
  breakdown: Breakdown;
  /** Skipped items kept because children remain under them: item id → the existing issue's key. */
  existing: Map<string, string>;
}

export function applySkips(b: Breakdown, skipped: ReadonlyMap<string, string>): SkipsApplied {
  const existing = new Map<string, string>();
  if (skipped.size === 0) return { breakdown: b, existing };
  // Bottom-up: whether a parent stays depends on whether any of its children stay.
  const removed = new Set<string>();
  const decide = (id: string, childrenLeft: number) => {
    const key = skipped.get(id);
    if (key === undefined) return;
    if (childrenLeft > 0) existing.set(id, key);
    else removed.add(id);
  };
  for (const e of b.epics) {
    let storiesLeft = 0;
    for (const s of e.stories) {
      let subtasksLeft = 0;
      for (const t of s.subtasks) {
        decide(t.id, 0);
        if (!removed.has(t.id)) subtasksLeft++;
      }
      decide(s.id, subtasksLeft);
      if (!removed.has(s.id)) storiesLeft++;
    }
    decide(e.id, storiesLeft);
  }
  const keep = <T extends { id: string; dependsOn: string[] }>(items: T[]): T[] =>
    items.filter((i) => !removed.has(i.id)).map((i) => ({ ...i, dependsOn: i.dependsOn.filter((d) => !removed.has(d)) }));
  return {
    breakdown: { ...b, epics: keep(b.epics).map((e) => ({ ...e, stories: keep(e.stories).map((s) => ({ ...s, subtasks: keep(s.subtasks) })) })) },
    existing,
  };
}
