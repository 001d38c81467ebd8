// Which sections of the page make one epic: the top-level sections, or the level-2 sections when
// the page has a single h1 (its title). Content before the first heading, and directly under a
// lone h1, goes to an epic named after the page.

import type { SpecDocument, SpecSection } from '../spec/types.ts';

export interface EpicGroup {
  /** Section id of the group's top section; "" for the page-level group. */
  key: string;
  title: string;
  /** Heading path of the group's top section (empty for the page-level group). */
  headingPath: string[];
}

export interface EpicGrouping {
  /** Groups that hold blocks or sections, in page order. */
  groups: EpicGroup[];
  /** The page-level group (content before the first heading); may be absent from `groups`. */
  page: EpicGroup;
  groupOfSection: Map<string, EpicGroup>;
}

export function groupSections(doc: SpecDocument): EpicGrouping {
  const headed = doc.sections.filter((s) => s.level > 0);
  const levels = [...new Set(headed.map((s) => s.level))].sort((a, b) => a - b);
  let epicLevel = levels[0] ?? 1;
  if (levels.length > 1 && headed.filter((s) => s.level === epicLevel).length === 1) epicLevel = levels[1]!;

  const byId = new Map(doc.sections.map((s) => [s.id, s]));
  const pageGroup: EpicGroup = { key: '', title: doc.title.trim() || headed[0]?.title || 'Specification', headingPath: [] };
  const groups = new Map<string, EpicGroup>();
  const groupOfSection = new Map<string, EpicGroup>();

  const topOf = (s: SpecSection): SpecSection | undefined => {
    if (s.level === 0 || s.level < epicLevel) return undefined;
    let top = s;
    for (let p = s.parentId ? byId.get(s.parentId) : undefined; p && p.level >= epicLevel; p = p.parentId ? byId.get(p.parentId) : undefined) {
      top = p;
    }
    return top;
  };

  for (const s of doc.sections) {
    const top = topOf(s);
    if (!top) {
      groupOfSection.set(s.id, pageGroup);
      continue;
    }
    let g = groups.get(top.id);
    if (!g) {
      g = { key: top.id, title: top.title.trim() || pageGroup.title, headingPath: top.headingPath };
      groups.set(top.id, g);
    }
    groupOfSection.set(s.id, g);
  }

  // Order groups by where their first block appears on the page.
  const order: EpicGroup[] = [];
  const seen = new Set<EpicGroup>();
  const note = (g: EpicGroup | undefined): void => {
    if (g && !seen.has(g)) {
      seen.add(g);
      order.push(g);
    }
  };
  for (const b of doc.blocks) note(groupOfSection.get(b.sectionId) ?? pageGroup);
  for (const s of doc.sections) note(groupOfSection.get(s.id));
  return { groups: order, page: pageGroup, groupOfSection };
}

/** The group a block belongs to (the page-level group when its section is unknown). */
export function groupOfBlock(grouping: EpicGrouping, sectionId: string): EpicGroup {
  return grouping.groupOfSection.get(sectionId) ?? grouping.page;
}
