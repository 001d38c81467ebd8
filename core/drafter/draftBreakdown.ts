// The deterministic drafter: a complete breakdown from the page's structure alone, with no model.
// Used when no model is configured, as the model's fallback, and to fill coverage gaps. Headings
// become epics, requirement blocks stories, open tasks sub-tasks; every requirement block is cited
// and every LIMITS value is respected (packing several requirements per story on very large pages).

import { LIMITS } from '../breakdown/schema.ts';
import type { Breakdown, Epic, Story } from '../breakdown/schema.ts';
import type { SpecDocument, SpecSection } from '../spec/types.ts';
import { groupSections } from './epicGroups.ts';
import type { EpicGroup, EpicGrouping } from './epicGroups.ts';
import { DRAFT_LABEL, draftUnits, highestPriority, packUnits, renderStory } from './storyDrafts.ts';
import type { Unit } from './storyDrafts.ts';
import { clip, clipBlock } from './storyText.ts';
import { isRequirementBlock } from '../spec/types.ts';
import { draftByFeatures } from './featurePlan.ts';
import { draftMeetingNotes } from './meetingNotes.ts';

export const DRAFTER_NOTE = 'Drafted without a model from the page structure; review every item.';

// Packing factors tried in order until the breakdown fits LIMITS.
const PACKING = [1, 2, 3, 4, 6, 8, 12] as const;

interface GroupPlan {
  groups: EpicGroup[];
  units: Unit[];
}

interface EpicPlan {
  groups: EpicGroup[];
  units: Unit[];
  part: number;
  parts: number;
}

const epicParts = (n: number): number => Math.max(1, Math.ceil(n / LIMITS.storiesPerEpicMax));

/** Merges neighbouring groups while that lowers the number of epics and there are more than epicsMax. */
function mergeGroups(plans: GroupPlan[]): GroupPlan[] {
  const list = plans.map((p) => ({ groups: [...p.groups], units: [...p.units] }));
  const total = (): number => list.reduce((n, p) => n + epicParts(p.units.length), 0);
  while (total() > LIMITS.epicsMax && list.length > 1) {
    let best = -1;
    let bestGain = 0;
    let bestSize = Infinity;
    for (let i = 0; i + 1 < list.length; i++) {
      const a = list[i]!.units.length;
      const b = list[i + 1]!.units.length;
      const gain = epicParts(a) + epicParts(b) - epicParts(a + b);
      if (gain > bestGain || (gain === bestGain && gain > 0 && a + b < bestSize)) {
        best = i;
        bestGain = gain;
        bestSize = a + b;
      }
    }
    if (best < 0) break;
    const [a, b] = list.splice(best, 2) as [GroupPlan, GroupPlan];
    list.splice(best, 0, { groups: [...a.groups, ...b.groups], units: [...a.units, ...b.units] });
  }
  return list;
}

function planEpics(perGroup: GroupPlan[], k: number): { epics: EpicPlan[]; items: number } {
  const packed = perGroup.map((p) => ({ groups: p.groups, units: packUnits(p.units, k) }));
  const epics: EpicPlan[] = [];
  for (const merged of mergeGroups(packed)) {
    // Sections that share an epic may also share stories, or a page of many tiny sections cannot fit.
    const g = merged.groups.length > 1 && k > 1 ? { groups: merged.groups, units: packUnits(merged.units, k, true) } : merged;
    const parts = epicParts(g.units.length);
    for (let i = 0; i < parts; i++) {
      epics.push({
        groups: g.groups,
        units: g.units.slice(i * LIMITS.storiesPerEpicMax, (i + 1) * LIMITS.storiesPerEpicMax),
        part: i + 1,
        parts,
      });
    }
  }
  const items = epics.reduce((n, e) => n + 1 + e.units.reduce((m, u) => m + 1 + u.tasks.length, 0), 0);
  return { epics, items };
}

/** Cuts a plan down to the limits, returning how many requirement blocks had to be left out. */
function truncatePlan(epics: EpicPlan[]): { epics: EpicPlan[]; dropped: number } {
  const kept: EpicPlan[] = [];
  let items = 0;
  let dropped = 0;
  const blocksOf = (u: Unit): number => u.members.reduce((n, m) => n + m.blocks.length, 0) + u.tasks.reduce((n, t) => n + t.blocks.length, 0);
  for (const e of epics) {
    if (kept.length >= LIMITS.epicsMax || items + 2 > LIMITS.itemsMax) {
      dropped += e.units.reduce((n, u) => n + blocksOf(u), 0);
      continue;
    }
    items++;
    const units: Unit[] = [];
    for (const u of e.units) {
      if (items + 1 + u.tasks.length <= LIMITS.itemsMax) {
        units.push(u);
        items += 1 + u.tasks.length;
      } else {
        dropped += blocksOf(u);
      }
    }
    kept.push({ ...e, units });
  }
  return { epics: kept, dropped };
}

function epicTitle(e: EpicPlan): string {
  const titles = e.groups.map((g) => g.title);
  const base = titles.length <= 2 ? titles.join(', ') : `${titles[0]} to ${titles[titles.length - 1]}`;
  const suffix = e.parts > 1 && e.part > 1 ? ` (part ${e.part})` : '';
  return `${clip(base, LIMITS.titleMax - suffix.length)}${suffix}`;
}

function epicIntro(doc: SpecDocument, grouping: EpicGrouping, group: EpicGroup): { text: string; sources: string[] } {
  const intro = [];
  for (const b of doc.blocks) {
    if ((grouping.groupOfSection.get(b.sectionId) ?? grouping.page) !== group) continue;
    if (isRequirementBlock(b)) break;
    if (b.kind === 'paragraph' && b.text.trim()) intro.push(b);
    if (intro.length >= 2) break;
  }
  return { text: intro.map((b) => b.text.trim()).join('\n\n'), sources: intro.map((b) => b.id) };
}

/** Drafts the whole breakdown for `doc`. Pure and deterministic: the same page gives the same breakdown. */
export function draftBreakdown(doc: SpecDocument): Breakdown {
  // Pages of a recognised shape first: user-story specifications, meeting notes; else by headings.
  const shaped = draftByFeatures(doc, DRAFTER_NOTE) ?? draftMeetingNotes(doc, DRAFTER_NOTE);
  if (shaped) return shaped;
  const grouping = groupSections(doc);
  const sections = new Map<string, SpecSection>(doc.sections.map((s) => [s.id, s]));
  const blocksByGroup = new Map<EpicGroup, SpecDocument['blocks']>();
  for (const b of doc.blocks) {
    const g = grouping.groupOfSection.get(b.sectionId) ?? grouping.page;
    let list = blocksByGroup.get(g);
    if (!list) blocksByGroup.set(g, (list = []));
    list.push(b);
  }
  const perGroup: GroupPlan[] = grouping.groups
    .map((g) => ({ groups: [g], units: draftUnits(blocksByGroup.get(g) ?? [], g, sections) }))
    .filter((p) => p.units.length > 0);

  const warnings: string[] = [];
  let plan = planEpics(perGroup, 1);
  let packing = 1;
  for (const k of PACKING) {
    plan = planEpics(perGroup, k);
    packing = k;
    if (plan.epics.length <= LIMITS.epicsMax && plan.items <= LIMITS.itemsMax) break;
  }
  let epicsPlan = plan.epics;
  if (packing > 1) {
    warnings.push(
      `The page has more requirements than one breakdown can hold as separate stories; up to ${packing} requirements share a story. Consider splitting the page.`,
    );
  }
  if (plan.epics.length > LIMITS.epicsMax || plan.items > LIMITS.itemsMax) {
    const t = truncatePlan(plan.epics);
    epicsPlan = t.epics;
    warnings.push(`The page is too large for one breakdown: ${t.dropped} requirement blocks were left out. Split the page into smaller pages.`);
  }

  // Positions count requirements within the whole group, so packed titles stay unique across parts.
  const positions = new Map<Unit, { from: number; to: number }>();
  const tasksSeen = new Map<string, number>();
  const counter = new Map<EpicGroup, number>();
  for (const p of epicsPlan) {
    for (const u of p.units) {
      const start = (counter.get(u.group) ?? 0) + 1;
      const n = Math.max(u.members.length, 1);
      counter.set(u.group, start + n - 1);
      if (u.kind === 'tasks' && u.members.length === 0) {
        const nth = (tasksSeen.get(u.sectionId) ?? 0) + 1;
        tasksSeen.set(u.sectionId, nth);
        positions.set(u, { from: nth, to: nth });
      } else {
        positions.set(u, { from: start, to: start + n - 1 });
      }
    }
  }

  const epics: Epic[] = epicsPlan.map((e, ei) => {
    const epicId = `E${ei + 1}`;
    const stories: Story[] = e.units.map((u, si) => {
      const storyId = `S${ei + 1}.${si + 1}`;
      const drafted = renderStory(u, positions.get(u) ?? { from: 1, to: 1 });
      return {
        ...drafted,
        id: storyId,
        subtasks: drafted.subtasks.map((t, ti) => ({ ...t, id: `T${ei + 1}.${si + 1}.${ti + 1}` })),
      };
    });
    const intro = epicIntro(doc, grouping, e.groups[0]!);
    const from = e.groups.map((g) => `"${g.headingPath.join(' › ') || g.title}"`).join(', ');
    return {
      id: epicId,
      title: epicTitle(e),
      description: clipBlock(`${intro.text ? `${intro.text}\n\n` : ''}Drafted from the page section${e.groups.length > 1 ? 's' : ''} ${from}.`, LIMITS.descriptionMax),
      acceptanceCriteria: [],
      estimate: null,
      priority: highestPriority(stories.map((s) => s.priority)),
      labels: [DRAFT_LABEL],
      components: [],
      dependsOn: [],
      sources: e.part === 1 ? intro.sources.slice(0, LIMITS.sourcesMax) : [],
      notes: '',
      origin: 'drafter',
      stories,
    };
  });

  return {
    schemaVersion: 1,
    title: clip(doc.title, LIMITS.titleMax),
    language: /^[a-z]{2,3}(-[A-Za-z0-9]+)?$/.test(doc.language) ? doc.language : 'en',
    generator: { kind: 'drafter', note: DRAFTER_NOTE },
    epics,
    warnings,
  };
}
