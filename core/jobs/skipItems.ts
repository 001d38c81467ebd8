// Applies the reviewer's "skip" decisions (an issue for this item already exists in Jira) to the
// breakdown that is sent to Jira: skipped items are left out, and dependencies on them dropped.
// Only items without children can be skipped, so nothing is left without its parent.

import type { Breakdown } from '../breakdown/schema.ts';

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

export function withoutSkipped(b: Breakdown, skipped: ReadonlySet<string>): Breakdown {
  if (skipped.size === 0) return b;
  const keep = <T extends { id: string; dependsOn: string[] }>(items: T[]): T[] =>
    items.filter((i) => !skipped.has(i.id)).map((i) => ({ ...i, dependsOn: i.dependsOn.filter((d) => !skipped.has(d)) }));
  return {
    ...b,
    epics: keep(b.epics).map((e) => ({ ...e, stories: keep(e.stories).map((s) => ({ ...s, subtasks: keep(s.subtasks) })) })),
  };
}
