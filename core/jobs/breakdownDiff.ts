// What the reviewer changed: the latest breakdown compared with the one the engine generated,
// item by item (by item id), so the review screen and the audit can show "added, removed, changed".

import { flattenBreakdown, type Breakdown, type FlatItem } from '../breakdown/schema.ts';

export interface ItemChange {
  itemId: string;
  level: FlatItem['level'];
  /** Fields whose value differs (title, description, parent, …). */
  fields: string[];
}

export interface BreakdownDiff {
  added: { itemId: string; level: FlatItem['level']; title: string }[];
  removed: { itemId: string; level: FlatItem['level']; title: string }[];
  changed: ItemChange[];
  unchanged: number;
}

const COMPARED = ['title', 'description', 'acceptanceCriteria', 'estimate', 'priority', 'labels', 'components', 'dependsOn', 'sources', 'notes'] as const;

export function diffBreakdowns(generated: Breakdown, latest: Breakdown): BreakdownDiff {
  const before = new Map(flattenBreakdown(generated).map((x) => [x.item.id, x]));
  const after = new Map(flattenBreakdown(latest).map((x) => [x.item.id, x]));
  const diff: BreakdownDiff = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const [id, x] of after) {
    const old = before.get(id);
    if (!old) {
      diff.added.push({ itemId: id, level: x.level, title: x.item.title });
      continue;
    }
    const fields: string[] = COMPARED.filter((f) => JSON.stringify(old.item[f]) !== JSON.stringify(x.item[f]));
    if (old.parentId !== x.parentId) fields.push('parent');
    if (old.level !== x.level) fields.push('level');
    if (fields.length) diff.changed.push({ itemId: id, level: x.level, fields });
    else diff.unchanged++;
  }
  for (const [id, x] of before) if (!after.has(id)) diff.removed.push({ itemId: id, level: x.level, title: x.item.title });
  return diff;
}
