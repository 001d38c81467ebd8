// Structural checks of a breakdown: sizes against LIMITS, id shape and hierarchy, dependency targets
// and cycles, and (given the page) that every cited source block exists. Pure; returns findings.

import { LIMITS, flattenBreakdown } from './schema.ts';
import type { Breakdown, FlatItem, ItemLevel } from './schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { Finding } from './findings.ts';

const ID_SHAPE: Record<ItemLevel, { re: RegExp; example: string }> = {
  epic: { re: /^E([0-9]+)$/, example: 'E1' },
  story: { re: /^S([0-9]+)\.([0-9]+)$/, example: 'S1.2' },
  subtask: { re: /^T([0-9]+)\.([0-9]+)\.([0-9]+)$/, example: 'T1.2.3' },
};

/** Checks counts, ids, hierarchy, dependencies and (when `doc` is given) source citations. */
export function checkLimits(breakdown: Breakdown, doc?: SpecDocument): Finding[] {
  const findings: Finding[] = [];
  const flat = flattenBreakdown(breakdown);

  if (breakdown.epics.length > LIMITS.epicsMax) {
    findings.push({
      severity: 'error',
      code: 'too-many-epics',
      message: `The breakdown has ${breakdown.epics.length} epics; at most ${LIMITS.epicsMax} are allowed. Merge related epics.`,
    });
  }
  if (flat.length > LIMITS.itemsMax) {
    findings.push({
      severity: 'error',
      code: 'too-many-items',
      message: `The breakdown has ${flat.length} items; at most ${LIMITS.itemsMax} can be created in one go. Merge small stories or split the page.`,
    });
  }
  for (const e of breakdown.epics) {
    if (e.stories.length > LIMITS.storiesPerEpicMax) {
      findings.push({
        severity: 'error',
        code: 'too-many-stories',
        itemId: e.id,
        message: `Epic ${e.id} has ${e.stories.length} stories; at most ${LIMITS.storiesPerEpicMax} are allowed. Split it into two epics.`,
      });
    }
    for (const s of e.stories) {
      if (s.subtasks.length > LIMITS.subtasksPerStoryMax) {
        findings.push({
          severity: 'error',
          code: 'too-many-subtasks',
          itemId: s.id,
          message: `Story ${s.id} has ${s.subtasks.length} sub-tasks; at most ${LIMITS.subtasksPerStoryMax} are allowed. Split the story.`,
        });
      }
    }
  }
  for (const f of flat) findings.push(...checkItemSizes(f));
  findings.push(...checkIds(flat));
  findings.push(...checkDependencies(flat));
  if (doc) findings.push(...checkSources(flat, doc));
  return findings;
}

function checkItemSizes({ item }: FlatItem): Finding[] {
  const out: Finding[] = [];
  const over = (what: string, n: number, max: number, hint: string): void => {
    if (n > max) {
      out.push({
        severity: 'error',
        code: 'field-too-long',
        itemId: item.id,
        message: `${item.id}: ${what} is ${n} long; the limit is ${max}. ${hint}`,
      });
    }
  };
  over('the title', item.title.length, LIMITS.titleMax, 'Shorten it and move detail to the description.');
  over('the description', item.description.length, LIMITS.descriptionMax, 'Shorten it or split the item.');
  over('the list of acceptance criteria', item.acceptanceCriteria.length, LIMITS.criteriaMax, 'Merge criteria or split the item.');
  over('the list of labels', item.labels.length, LIMITS.labelsMax, 'Remove labels.');
  over('the list of sources', item.sources.length, LIMITS.sourcesMax, 'Split the item so each part cites fewer blocks.');
  over('the list of dependencies', item.dependsOn.length, LIMITS.dependenciesMax, 'Keep only direct dependencies.');
  item.acceptanceCriteria.forEach((c, i) =>
    over(`acceptance criterion ${i + 1}`, c.length, LIMITS.criterionMax, 'Split it into several criteria.'),
  );
  if (item.title.trim() === '') {
    out.push({ severity: 'error', code: 'empty-title', itemId: item.id, message: `${item.id} has no title. Give it a short summary.` });
  }
  return out;
}

function checkIds(flat: FlatItem[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Map<string, ItemLevel>();
  for (const { level, item, parentId } of flat) {
    const previous = seen.get(item.id);
    if (previous) {
      out.push({
        severity: 'error',
        code: 'duplicate-id',
        itemId: item.id,
        message: `The id ${item.id} is used by more than one item (${previous} and ${level}). Give each item its own id.`,
      });
      continue;
    }
    seen.set(item.id, level);
    const shape = ID_SHAPE[level];
    const m = shape.re.exec(item.id);
    if (!m) {
      out.push({
        severity: 'error',
        code: 'id-shape',
        itemId: item.id,
        message: `The ${level} id ${item.id} should look like ${shape.example}.`,
      });
      continue;
    }
    if (parentId !== undefined) {
      const expectedParent = level === 'story' ? `E${m[1]}` : `S${m[1]}.${m[2]}`;
      if (expectedParent !== parentId) {
        out.push({
          severity: 'error',
          code: 'id-hierarchy',
          itemId: item.id,
          message: `${item.id} sits under ${parentId}, but its id says it belongs under ${expectedParent}. Renumber it to match its parent.`,
        });
      }
    }
  }
  return out;
}

function checkDependencies(flat: FlatItem[]): Finding[] {
  const out: Finding[] = [];
  const ids = new Set(flat.map((f) => f.item.id));
  const graph = new Map<string, string[]>();
  for (const { item } of flat) {
    const targets: string[] = [];
    for (const dep of item.dependsOn) {
      if (dep === item.id) {
        out.push({ severity: 'error', code: 'self-dependency', itemId: item.id, message: `${item.id} depends on itself. Remove that dependency.` });
      } else if (!ids.has(dep)) {
        out.push({
          severity: 'error',
          code: 'missing-dependency',
          itemId: item.id,
          message: `${item.id} depends on ${dep}, which is not in the breakdown. Remove the dependency or add the item.`,
        });
      } else {
        targets.push(dep);
      }
    }
    if (!graph.has(item.id)) graph.set(item.id, targets);
  }
  for (const cycle of findCycles(graph)) {
    out.push({
      severity: 'error',
      code: 'dependency-cycle',
      itemId: cycle[0],
      message: `Dependency cycle: ${[...cycle, cycle[0]].join(' → ')}. Remove one of these dependencies so the work can start somewhere.`,
    });
  }
  return out;
}

/** Each elementary cycle found by an iterative depth-first search, reported once (rotated to its smallest id). */
function findCycles(graph: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const keys = new Set<string>();
  for (const start of graph.keys()) {
    if (state.has(start)) continue;
    const path: string[] = [];
    const stack: { node: string; next: number }[] = [{ node: start, next: 0 }];
    state.set(start, 'open');
    path.push(start);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const targets = graph.get(top.node) ?? [];
      if (top.next < targets.length) {
        const t = targets[top.next++]!;
        const s = state.get(t);
        if (s === 'open') {
          const cycle = path.slice(path.indexOf(t));
          const min = cycle.indexOf([...cycle].sort()[0]!);
          const rotated = [...cycle.slice(min), ...cycle.slice(0, min)];
          const key = rotated.join('>');
          if (!keys.has(key)) {
            keys.add(key);
            cycles.push(rotated);
          }
        } else if (s === undefined) {
          state.set(t, 'open');
          path.push(t);
          stack.push({ node: t, next: 0 });
        }
      } else {
        state.set(top.node, 'done');
        path.pop();
        stack.pop();
      }
    }
  }
  return cycles;
}

function checkSources(flat: FlatItem[], doc: SpecDocument): Finding[] {
  const out: Finding[] = [];
  const blockIds = new Set(doc.blocks.map((b) => b.id));
  for (const { item } of flat) {
    for (const src of item.sources) {
      if (!blockIds.has(src)) {
        out.push({
          severity: 'error',
          code: 'unknown-source',
          itemId: item.id,
          blockId: src,
          message: `${item.id} cites block ${src}, which is not on the page "${doc.title}". Cite a block that exists or remove the citation.`,
        });
      }
    }
  }
  return out;
}
