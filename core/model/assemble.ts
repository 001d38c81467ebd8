// From the model's compact drafts to the breakdown contract: citations mapped from chunk aliases to
// block ids, strings cut to the contract's limits, readable ids (E1, S1.2, T1.2.1) given in order.

import { LIMITS, itemDefaults } from '../breakdown/schema.ts';
import type { Breakdown, Epic, Story } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import type { CompactStory } from './outputSchema.ts';

/** A story as the pipeline keeps it until assembly: the compact form plus resolved block ids. */
export interface DraftStory {
  story: CompactStory;
  sources: string[];
  /** Block ids each sub-task cites (same order as story.st). */
  subtaskSources?: string[][];
  /** Stories this one depends on (earlier stories of the same answer, named in its `after`). */
  dependsOn?: DraftStoryRef[];
  /** Set when another story was found to be the same work; the reviewer is told in its notes. */
  notes?: string;
  /** The chunk (request) that wrote it: duplicates are looked for across chunks only. */
  chunk?: number;
}

/** A reference from one draft story to another, resolved to ids at assembly. */
export interface DraftStoryRef {
  epic: DraftEpic;
  story: DraftStory;
}

export interface DraftEpic {
  title: string;
  description: string;
  stories: DraftStory[];
}

/**
 * Cuts text to the contract's limit. The grammar counts characters, the contract (zod) counts
 * UTF-16 units, so a string of emoji within the grammar's limit can still be too long here; cut on
 * a character boundary.
 */
export function clip(text: string, max: number): string {
  const t = text.trim();
  if (t.length <= max) return t;
  let out = '';
  for (const ch of t) {
    if (out.length + ch.length > max) break;
    out += ch;
  }
  return out.trim();
}

/**
 * Maps the aliases a story cites to block ids. The grammar only lets the model write aliases of
 * its chunk, so `dropped` stays empty unless grammar and chunk disagree: the caller warns then.
 */
export function resolveCitations(cited: readonly string[], byAlias: ReadonlyMap<string, string>): { sources: string[]; dropped: string[] } {
  const sources: string[] = [];
  const dropped: string[] = [];
  for (const alias of cited) {
    const id = byAlias.get(alias);
    if (id === undefined) dropped.push(alias);
    else if (!sources.includes(id)) sources.push(id);
  }
  return { sources, dropped };
}

/** Maps the compact drafts to a Breakdown with readable ids; epics without stories are left out. */
export function assemble(doc: SpecDocument, drafts: DraftEpic[], language: string, model: string, warnings: string[]): Breakdown {
  const epics: Epic[] = [];
  let items = 0;
  const idOf = new Map<DraftStory, string>();
  const placed: { story: Story; draft: DraftStory }[] = [];
  for (const d of drafts) {
    if (d.stories.length === 0) continue;
    if (epics.length >= LIMITS.epicsMax || items >= LIMITS.itemsMax) break;
    const e = epics.length + 1;
    const stories: Story[] = [];
    for (const draft of d.stories) {
      const { story, sources } = draft;
      if (items + 2 + story.tasks.length > LIMITS.itemsMax) {
        warnings.push(`The breakdown reached ${LIMITS.itemsMax} items; the rest were left out.`);
        break;
      }
      if (stories.length >= LIMITS.storiesPerEpicMax) break;
      const k = stories.length + 1;
      const title = clip(story.title, LIMITS.titleMax) || `Story for ${sources[0] ?? 'section'}`;
      const out: Story = {
        id: `S${e}.${k}`,
        title,
        description: clip(story.desc, LIMITS.descriptionMax),
        acceptanceCriteria: story.ac.map((c) => clip(c, LIMITS.criterionMax)).filter((c) => c.length > 0).slice(0, LIMITS.criteriaMax),
        estimate: story.points,
        priority: story.priority,
        labels: [],
        components: [],
        dependsOn: [],
        sources,
        notes: clip(draft.notes ?? '', LIMITS.notesMax),
        origin: 'model',
        subtasks: story.tasks
          .slice(0, LIMITS.subtasksPerStoryMax)
          .map((t, j) => ({ t: clip(t.title, LIMITS.titleMax), h: t.hours, src: (draft.subtaskSources?.[j] ?? []).slice(0, LIMITS.sourcesMax) }))
          .filter((t) => t.t.length > 0)
          .map((t, j) => ({
            id: `T${e}.${k}.${j + 1}`,
            title: t.t,
            description: '',
            acceptanceCriteria: [],
            estimate: t.h,
            priority: story.priority,
            labels: [],
            components: [],
            dependsOn: [],
            sources: t.src,
            notes: '',
            origin: 'model' as const,
          })),
      };
      stories.push(out);
      idOf.set(draft, out.id);
      placed.push({ story: out, draft });
      items += 1 + out.subtasks.length;
    }
    items++;
    epics.push({
      id: `E${e}`,
      title: clip(d.title, LIMITS.titleMax) || doc.title || 'Epic',
      ...itemDefaults('model'),
      description: clip(d.description, LIMITS.descriptionMax),
      stories,
    });
  }
  // Dependencies between stories become id references once every story has its id.
  for (const { story, draft } of placed) {
    const ids = (draft.dependsOn ?? []).map((r) => idOf.get(r.story)).filter((id): id is string => !!id && id !== story.id);
    story.dependsOn = [...new Set(ids)].slice(0, LIMITS.dependenciesMax);
  }
  return {
    schemaVersion: 1,
    title: clip(doc.title, LIMITS.titleMax),
    language,
    generator: { kind: 'model', model, note: `Written by ${model}.` },
    epics,
    warnings: [...new Set(warnings)],
  };
}
