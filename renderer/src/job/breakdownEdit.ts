// Reviewer edits of a breakdown draft: change, add, delete, move and re-parent items. Each function
// returns a new breakdown and leaves its input alone (React state). Ids follow the breakdown's rule
// that an id names its parent (S2.3 sits under E2), so a re-parented item and its sub-tasks are
// renumbered and every dependsOn that pointed at them follows.

import { LIMITS, itemDefaults, type Breakdown, type Epic, type ItemLevel, type Story, type Subtask, type WorkItem } from '../../../core/breakdown/schema.ts';

export interface Located {
  level: ItemLevel;
  item: WorkItem;
  parentId: string | null;
  /** Position among its siblings. */
  index: number;
  siblings: number;
}

export type ItemPatch = Partial<Omit<Subtask, 'id'>>;

const clone = (b: Breakdown): Breakdown => structuredClone(b);

export function locate(b: Breakdown, id: string): Located | undefined {
  for (const [ei, e] of b.epics.entries()) {
    if (e.id === id) return { level: 'epic', item: e, parentId: null, index: ei, siblings: b.epics.length };
    for (const [si, s] of e.stories.entries()) {
      if (s.id === id) return { level: 'story', item: s, parentId: e.id, index: si, siblings: e.stories.length };
      for (const [ti, t] of s.subtasks.entries()) {
        if (t.id === id) return { level: 'subtask', item: t, parentId: s.id, index: ti, siblings: s.subtasks.length };
      }
    }
  }
  return undefined;
}

/** The array that holds the item (its siblings), in a breakdown the caller may mutate. */
function siblingsOf(b: Breakdown, id: string): WorkItem[] | undefined {
  if (b.epics.some((e) => e.id === id)) return b.epics;
  for (const e of b.epics) {
    if (e.stories.some((s) => s.id === id)) return e.stories;
    for (const s of e.stories) if (s.subtasks.some((t) => t.id === id)) return s.subtasks;
  }
  return undefined;
}

function allIds(b: Breakdown): Set<string> {
  const ids = new Set<string>();
  for (const e of b.epics) {
    ids.add(e.id);
    for (const s of e.stories) {
      ids.add(s.id);
      for (const t of s.subtasks) ids.add(t.id);
    }
  }
  return ids;
}

/** The next free child number under a parent: E3 → S3.n, S3.2 → T3.2.n. */
function nextId(b: Breakdown, level: ItemLevel, parentId: string | null): string {
  const ids = allIds(b);
  const prefix = level === 'epic' ? 'E' : `${level === 'story' ? 'S' : 'T'}${parentId!.slice(1)}.`;
  let n = 1;
  while (ids.has(`${prefix}${n}`)) n++;
  return `${prefix}${n}`;
}

/**
 * Changes one item. Only the path to it is copied (breakdown, its epic, its story): every other item
 * keeps its identity, so a keystroke in a 1,000-item breakdown re-renders one tree row, not all.
 */
export function updateItem(b: Breakdown, id: string, patch: ItemPatch): Breakdown {
  const at = locate(b, id);
  if (!at) return b;
  const apply = <T extends WorkItem>(item: T): T => ({ ...item, ...patch });
  return {
    ...b,
    epics: b.epics.map((e) => {
      if (e.id === id) return apply(e);
      if (at.level === 'epic' || !(e.id === at.parentId || e.stories.some((s) => s.id === at.parentId))) return e;
      return {
        ...e,
        stories: e.stories.map((s) => {
          if (s.id === id) return apply(s);
          if (s.id !== at.parentId) return s;
          return { ...s, subtasks: s.subtasks.map((t) => (t.id === id ? apply(t) : t)) };
        }),
      };
    }),
  };
}

/** Adds a page block to the blocks an item cites (no change when it already does or is full). */
export function citeBlock(b: Breakdown, id: string, blockId: string): Breakdown {
  const item = locate(b, id)?.item;
  if (!item || item.sources.includes(blockId) || item.sources.length >= LIMITS.sourcesMax) return b;
  return updateItem(b, id, { sources: [...item.sources, blockId] });
}

export function unciteBlock(b: Breakdown, id: string, blockId: string): Breakdown {
  const item = locate(b, id)?.item;
  if (!item || !item.sources.includes(blockId)) return b;
  return updateItem(b, id, { sources: item.sources.filter((x) => x !== blockId) });
}

/**
 * A story written by the reviewer for a requirement no item covers: titled from the block's text,
 * citing it, under the given epic (or a new epic when the breakdown has none).
 */
export function addStoryFromBlock(b: Breakdown, epicId: string | null, block: { id: string; text: string }): { breakdown: Breakdown; id: string } {
  let base = b;
  let parent = epicId && b.epics.some((e) => e.id === epicId) ? epicId : (b.epics[0]?.id ?? null);
  if (!parent) {
    const r = addItem(base, 'epic', null, 'Requirements added in review');
    base = r.breakdown;
    parent = r.id;
  }
  const flat = block.text.replace(/\s+/g, ' ').trim();
  const title = flat.length <= LIMITS.titleMax ? flat : `${flat.slice(0, LIMITS.titleMax - 1).trimEnd()}…`;
  const r = addItem(base, 'story', parent, title || 'New story');
  return { breakdown: updateItem(r.breakdown, r.id, { sources: [block.id], description: flat.slice(0, LIMITS.descriptionMax) }), id: r.id };
}

/** Every item with the blocks it cites: block id → item ids, in tree order. */
export function citationsByBlock(b: Breakdown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  forEachItem(b, (item) => {
    for (const src of item.sources) out.set(src, [...(out.get(src) ?? []), item.id]);
  });
  return out;
}

const blank = (id: string): Subtask => ({ id, title: '', ...itemDefaults('human') });

/** Adds an empty item written by a person: an epic, a story under an epic, or a sub-task under a story. */
export function addItem(b: Breakdown, level: ItemLevel, parentId: string | null, title = 'New item'): { breakdown: Breakdown; id: string } {
  const next = clone(b);
  const id = nextId(next, level, parentId);
  const base = { ...blank(id), title };
  if (level === 'epic') next.epics.push({ ...base, stories: [] });
  else if (level === 'story') {
    const epic = next.epics.find((e) => e.id === parentId);
    if (!epic) throw new Error(`There is no epic ${String(parentId)} to add a story to`);
    epic.stories.push({ ...base, subtasks: [] });
  } else {
    const story = locate(next, parentId ?? '')?.item as Story | undefined;
    if (!story || !('subtasks' in story)) throw new Error(`There is no story ${String(parentId)} to add a sub-task to`);
    story.subtasks.push(base);
  }
  return { breakdown: next, id };
}

function collectIds(item: WorkItem, out: Set<string>): Set<string> {
  out.add(item.id);
  if ('stories' in item) for (const s of item.stories) collectIds(s, out);
  if ('subtasks' in item) for (const t of item.subtasks) collectIds(t, out);
  return out;
}

function forEachItem(b: Breakdown, fn: (item: WorkItem) => void): void {
  for (const e of b.epics) {
    fn(e);
    for (const s of e.stories) {
      fn(s);
      for (const t of s.subtasks) fn(t);
    }
  }
}

/** Deletes the item with everything under it; dependencies on the deleted items are dropped. */
export function deleteItem(b: Breakdown, id: string): Breakdown {
  const next = clone(b);
  const siblings = siblingsOf(next, id);
  if (!siblings) return next;
  const index = siblings.findIndex((x) => x.id === id);
  const gone = collectIds(siblings[index]!, new Set());
  siblings.splice(index, 1);
  forEachItem(next, (item) => {
    item.dependsOn = item.dependsOn.filter((d) => !gone.has(d));
  });
  return next;
}

/** Moves an item one place up (-1) or down (+1) among its siblings. */
export function moveItem(b: Breakdown, id: string, delta: -1 | 1): Breakdown {
  const next = clone(b);
  const siblings = siblingsOf(next, id);
  if (!siblings) return next;
  const from = siblings.findIndex((x) => x.id === id);
  const to = from + delta;
  if (to < 0 || to >= siblings.length) return next;
  const [item] = siblings.splice(from, 1);
  siblings.splice(to, 0, item!);
  return next;
}

/** Parents an item may move to: epics for a story, stories for a sub-task; none for an epic. */
export function possibleParents(b: Breakdown, id: string): { id: string; title: string }[] {
  const at = locate(b, id);
  if (!at || at.level === 'epic') return [];
  if (at.level === 'story') return b.epics.map((e) => ({ id: e.id, title: e.title }));
  return b.epics.flatMap((e) => e.stories.map((s) => ({ id: s.id, title: s.title })));
}

/** Moves a story to another epic or a sub-task to another story, renumbering it (and its sub-tasks). */
export function reparentItem(b: Breakdown, id: string, newParentId: string): { breakdown: Breakdown; id: string } {
  const at = locate(b, id);
  if (!at || at.level === 'epic' || at.parentId === newParentId) return { breakdown: b, id };
  const next = clone(b);
  const siblings = siblingsOf(next, id)!;
  const [moving] = siblings.splice(at.index, 1) as [Story | Subtask];
  const renamed = new Map<string, string>();
  const newId = nextId(next, at.level, newParentId);
  renamed.set(moving.id, newId);
  moving.id = newId;
  if ('subtasks' in moving) {
    moving.subtasks.forEach((t, i) => {
      const tid = `T${newId.slice(1)}.${i + 1}`;
      renamed.set(t.id, tid);
      t.id = tid;
    });
  }
  if (at.level === 'story') {
    const epic = next.epics.find((e) => e.id === newParentId);
    if (!epic) return { breakdown: b, id };
    epic.stories.push(moving as Story);
  } else {
    const story = locate(next, newParentId)?.item as Story | undefined;
    if (!story || !('subtasks' in story)) return { breakdown: b, id };
    story.subtasks.push(moving as Subtask);
  }
  forEachItem(next, (item) => {
    item.dependsOn = item.dependsOn.map((d) => renamed.get(d) ?? d);
  });
  return { breakdown: next, id: newId };
}

/**
 * The API names invalid fields by path ("breakdown.epics.0.stories.1.title"). This maps them to the
 * item they belong to and the field name, so the editor can mark the input.
 */
export function fieldErrorsByItem(b: Breakdown, paths: readonly string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const path of paths) {
    const parts = path.replace(/^breakdown\./, '').split('.');
    let item: Epic | Story | Subtask | undefined;
    let i = 0;
    if (parts[0] === 'epics' && parts[1] !== undefined) {
      item = b.epics[Number(parts[1])];
      i = 2;
      if (item && parts[2] === 'stories' && parts[3] !== undefined) {
        item = (item as Epic).stories[Number(parts[3])];
        i = 4;
        if (item && parts[4] === 'subtasks' && parts[5] !== undefined) {
          item = (item as Story).subtasks[Number(parts[5])];
          i = 6;
        }
      }
    }
    const key = item?.id ?? '(breakdown)';
    const field = parts[i] ?? '(item)';
    if (!out.has(key)) out.set(key, new Set());
    out.get(key)!.add(field);
  }
  return out;
}
