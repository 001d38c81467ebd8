// The breakdown, defined once. This zod definition is the single source of truth for:
// the TypeScript types (z.infer), API validation (parse at every boundary), and the model's output
// schema (see outputSchema.ts in core/model, which derives a grammar-safe JSON schema from the
// limits and enums exported here).

import { z } from 'zod';

export const LIMITS = {
  titleMax: 200, // Jira's summary limit is 255; leave room for prefixes
  descriptionMax: 4000,
  criterionMax: 400,
  criteriaMax: 8,
  labelMax: 40,
  labelsMax: 6,
  componentsMax: 4,
  notesMax: 1000,
  sourcesMax: 12,
  dependenciesMax: 8,
  epicsMax: 30,
  storiesPerEpicMax: 40,
  subtasksPerStoryMax: 12,
  itemsMax: 1000,
} as const;

export const STORY_POINTS = [1, 2, 3, 5, 8, 13] as const;
export const PRIORITIES = ['Highest', 'High', 'Medium', 'Low', 'Lowest'] as const;
export const ITEM_LEVELS = ['epic', 'story', 'subtask'] as const;
export const ITEM_ORIGINS = ['model', 'drafter', 'human'] as const;

export type Priority = (typeof PRIORITIES)[number];
export type ItemLevel = (typeof ITEM_LEVELS)[number];
export type ItemOrigin = (typeof ITEM_ORIGINS)[number];

/** Item ids are short and readable: E1, S1.2, T1.2.3 (level letter + path). */
export const ITEM_ID_PATTERN = /^[EST][0-9]+(\.[0-9]+){0,2}$/;

// Each level has its own id shape, so an id always says where its item sits (E1.1.1 cannot be an epic);
// whether the numbers match the actual parent is checkLimits' business (an actionable finding, not a refusal).
const levelId = (re: RegExp, example: string) => z.string().regex(re, `id must look like ${example}`);
const EPIC_ID = levelId(/^E[0-9]+$/, 'E1 (an epic)');
const STORY_ID = levelId(/^S[0-9]+\.[0-9]+$/, 'S1.2 (a story)');
const SUBTASK_ID = levelId(/^T[0-9]+\.[0-9]+\.[0-9]+$/, 'T1.2.3 (a sub-task)');

const itemFields = {
  id: SUBTASK_ID,
  title: z.string().trim().min(1, 'title is empty').max(LIMITS.titleMax),
  description: z.string().max(LIMITS.descriptionMax).default(''),
  acceptanceCriteria: z.array(z.string().trim().min(1).max(LIMITS.criterionMax)).max(LIMITS.criteriaMax).default([]),
  /** Stories: story points (1,2,3,5,8,13). Sub-tasks: hours. Epics: null. */
  estimate: z.number().positive().max(1000).nullable().default(null),
  priority: z.enum(PRIORITIES).default('Medium'),
  labels: z
    .array(z.string().trim().min(1).max(LIMITS.labelMax).regex(/^\S+$/, 'labels cannot contain spaces'))
    .max(LIMITS.labelsMax)
    .default([]),
  components: z.array(z.string().trim().min(1).max(100)).max(LIMITS.componentsMax).default([]),
  /** Ids of items this item depends on; each becomes a "Blocks" link (dependency blocks this item). */
  dependsOn: z.array(z.string().regex(ITEM_ID_PATTERN)).max(LIMITS.dependenciesMax).default([]),
  /** Ids of the SpecDocument blocks this item comes from. */
  sources: z.array(z.string().min(1)).max(LIMITS.sourcesMax).default([]),
  notes: z.string().max(LIMITS.notesMax).default(''),
  /** Who wrote the item: the model, the deterministic drafter (flag for the reviewer), or a person. */
  origin: z.enum(ITEM_ORIGINS).default('model'),
};

export const SubtaskSchema = z.object({ ...itemFields });
export const StorySchema = z.object({
  ...itemFields,
  id: STORY_ID,
  estimate: itemFields.estimate.refine(
    (v) => v === null || (STORY_POINTS as readonly number[]).includes(v),
    'story points must be one of 1, 2, 3, 5, 8, 13',
  ),
  subtasks: z.array(SubtaskSchema).max(LIMITS.subtasksPerStoryMax).default([]),
});
export const EpicSchema = z.object({
  ...itemFields,
  id: EPIC_ID,
  stories: z.array(StorySchema).max(LIMITS.storiesPerEpicMax).default([]),
});

export const GeneratorSchema = z.object({
  kind: z.enum(['model', 'drafter', 'mixed']),
  /** Model file or name when a model wrote (part of) the breakdown. */
  model: z.string().optional(),
  /** Plain statement for the reviewer, e.g. "Drafted without a model from the page structure." */
  note: z.string().default(''),
});

export const BreakdownSchema = z.object({
  schemaVersion: z.literal(1).default(1),
  title: z.string().max(LIMITS.titleMax).default(''),
  language: z.string().min(2).max(16).default('en'),
  generator: GeneratorSchema,
  epics: z.array(EpicSchema).max(LIMITS.epicsMax),
  /** Warnings for the reviewer (e.g. suspected instructions in the page text, limits reached). */
  warnings: z.array(z.string()).default([]),
});

export type Subtask = z.infer<typeof SubtaskSchema>;
export type Story = z.infer<typeof StorySchema>;
export type Epic = z.infer<typeof EpicSchema>;
export type Breakdown = z.infer<typeof BreakdownSchema>;
export type BreakdownInput = z.input<typeof BreakdownSchema>;
export type WorkItem = Epic | Story | Subtask;

/** Every field of an item but id and title at its schema default, for code that builds items field by field. */
export function itemDefaults(origin: ItemOrigin = 'model'): Omit<Subtask, 'id' | 'title'> {
  const { id: _id, title: _title, ...rest } = SubtaskSchema.parse({ id: 'T1.1.1', title: '-' });
  return { ...rest, origin };
}

export interface FlatItem {
  level: ItemLevel;
  item: Epic | Story | Subtask;
  parentId?: string;
}

/** Items in creation order: all epics, then all stories, then all sub-tasks. */
export function flattenBreakdown(b: Breakdown): FlatItem[] {
  const epics: FlatItem[] = [];
  const stories: FlatItem[] = [];
  const subtasks: FlatItem[] = [];
  for (const e of b.epics) {
    epics.push({ level: 'epic', item: e });
    for (const s of e.stories) {
      stories.push({ level: 'story', item: s, parentId: e.id });
      for (const t of s.subtasks) subtasks.push({ level: 'subtask', item: t, parentId: s.id });
    }
  }
  return [...epics, ...stories, ...subtasks];
}

/** Parse untrusted input into a Breakdown, or throw an Error whose message lists each problem with its path. */
export function parseBreakdown(input: unknown): Breakdown {
  const r = BreakdownSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new BreakdownValidationError(problems);
}

export class BreakdownValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Breakdown is invalid: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? ` (+${problems.length - 10} more)` : ''}`);
    this.name = 'BreakdownValidationError';
  }
}
