// Filling coverage gaps: drafted stories for exactly the requirement blocks a breakdown leaves
// uncovered (the model engine's second pass falls back to this), placed in the epic of their section.

import { LIMITS, flattenBreakdown } from '../breakdown/schema.ts';
import type { Breakdown, Epic, Story } from '../breakdown/schema.ts';
import type { SpecBlock, SpecDocument, SpecSection } from '../spec/types.ts';
import { groupSections } from './epicGroups.ts';
import type { EpicGroup } from './epicGroups.ts';
import { DRAFT_LABEL, draftUnits, renderStory } from './storyDrafts.ts';
import { clip } from './storyText.ts';

export const GAP_NOTE = 'Drafted for a requirement the model left uncovered';

const partSuffix = / \(part \d+\)$/;
const num = (re: RegExp, id: string): number => Number(re.exec(id)?.[1] ?? 0);

/**
 * Returns a copy of `into` with drafted stories (origin "drafter") for the given blocks. Unknown
 * ids and blocks already cited are skipped. When no epic can take another story, the block is cited
 * by the nearest story with room instead, and a warning says so.
 */
export function draftItemsForBlocks(doc: SpecDocument, blockIds: string[], into: Breakdown): Breakdown {
  const out: Breakdown = structuredClone(into);
  const cited = new Set(flattenBreakdown(out).flatMap((f) => f.item.sources));
  const wanted = new Set(blockIds.filter((id) => !cited.has(id)));
  const blocks = doc.blocks.filter((b) => wanted.has(b.id));
  if (blocks.length === 0) return out;

  const grouping = groupSections(doc);
  const sections = new Map<string, SpecSection>(doc.sections.map((s) => [s.id, s]));
  const groupOf = (sectionId: string): EpicGroup => grouping.groupOfSection.get(sectionId) ?? grouping.page;
  const blockById = new Map(doc.blocks.map((b) => [b.id, b]));

  // Which group each existing epic stands for: by what it cites, else by its title.
  const epicGroup = new Map<Epic, EpicGroup>();
  for (const e of out.epics) {
    const sources = [...e.sources, ...e.stories.flatMap((s) => [...s.sources, ...s.subtasks.flatMap((t) => t.sources)])];
    const first = sources.map((id) => blockById.get(id)).find((b) => b !== undefined);
    const g = first ? groupOf(first.sectionId) : grouping.groups.find((x) => x.title === e.title.replace(partSuffix, ''));
    if (g) epicGroup.set(e, g);
  }

  let items = flattenBreakdown(out).length;
  const byGroup = new Map<EpicGroup, SpecBlock[]>();
  for (const b of blocks) {
    const g = groupOf(b.sectionId);
    const list = byGroup.get(g) ?? [];
    list.push(b);
    byGroup.set(g, list);
  }
  // Only the given blocks are drafted: treat them all as requirements even if untagged.
  const asRequirement = (b: SpecBlock): SpecBlock => (b.tags.length > 0 ? b : { ...b, tags: ['modal'] });

  for (const [group, groupBlocks] of byGroup) {
    for (const u of draftUnits(groupBlocks.map(asRequirement), group, sections)) {
      const story = renderStory(u, { from: 1, to: 1, notes: GAP_NOTE });
      const needed = 1 + story.subtasks.length;
      let epic = out.epics.find((e) => epicGroup.get(e) === group && e.stories.length < LIMITS.storiesPerEpicMax);
      if (!epic && out.epics.length < LIMITS.epicsMax && items + needed + 1 <= LIMITS.itemsMax) {
        const nextEpic = Math.max(0, ...out.epics.map((e) => num(/^E(\d+)/, e.id))) + 1;
        const existing = out.epics.filter((e) => epicGroup.get(e) === group).length;
        epic = {
          id: `E${nextEpic}`,
          title: clip(`${group.title}${existing > 0 ? ` (part ${existing + 1})` : ''}`, LIMITS.titleMax),
          description: `Drafted from the page section "${group.headingPath.join(' › ') || group.title}" for requirements the model left uncovered.`,
          acceptanceCriteria: [],
          estimate: null,
          priority: story.priority,
          labels: [DRAFT_LABEL],
          components: [],
          dependsOn: [],
          sources: [],
          notes: '',
          origin: 'drafter',
          stories: [],
        };
        out.epics.push(epic);
        epicGroup.set(epic, group);
        items++;
      }
      if (epic && items + needed <= LIMITS.itemsMax) {
        const epicNo = num(/^E(\d+)/, epic.id);
        const storyNo = Math.max(0, ...epic.stories.map((s) => num(/^S\d+\.(\d+)/, s.id))) + 1;
        const full: Story = {
          ...story,
          id: `S${epicNo}.${storyNo}`,
          subtasks: story.subtasks.map((t, i) => ({ ...t, id: `T${epicNo}.${storyNo}.${i + 1}` })),
        };
        epic.stories.push(full);
        items += needed;
        continue;
      }
      // No room for a new item: cite the blocks from an existing story so they stay traceable.
      const ids = story.sources.concat(story.subtasks.flatMap((t) => t.sources));
      for (const id of ids) {
        const host = out.epics.flatMap((e) => e.stories).find((s) => s.sources.length < LIMITS.sourcesMax);
        if (!host) {
          out.warnings.push(`No room left in the breakdown for block ${id}; it is not covered. Split the page.`);
          continue;
        }
        host.sources.push(id);
        host.notes = clip(`${host.notes ? `${host.notes} ` : ''}Also cites ${id}, which had no room of its own.`, LIMITS.notesMax);
      }
      out.warnings.push(`The breakdown is at its size limit; ${ids.length} uncovered blocks were cited by existing stories instead of new ones.`);
    }
  }
  if (out.generator.kind === 'model') out.generator = { ...out.generator, kind: 'mixed' };
  return out;
}
