// The model's output shapes, derived from the breakdown contract (core/breakdown/schema.ts: LIMITS,
// PRIORITIES, STORY_POINTS), never written a second time by hand. Compact on purpose: short keys,
// criteria as plain strings, no nulls, citations as short block aliases from an enum — every
// character here is decoded token by token. Only JSON-schema keywords the grammar honours are used
// (type, properties, min/maxLength, min/maxItems, items, enum); every property is always generated.

import type { GbnfJsonSchema } from 'node-llama-cpp';
import { LIMITS, PRIORITIES, STORY_POINTS } from '../breakdown/schema.ts';

/** Sub-task estimates in hours (the contract allows any positive number; a short enum keeps output cheap). */
export const SUBTASK_HOURS = [1, 2, 4, 8, 16] as const;

/** Per-request limits for generated output; each is clamped to the contract's LIMITS. */
export interface OutputLimits {
  epicsMax: number;
  storiesMax: number;
  subtasksMax: number;
  titleMax: number;
  descriptionMax: number;
  criteriaMax: number;
  criterionMax: number;
  sourcesMax: number;
}

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  epicsMax: 8,
  storiesMax: 6,
  subtasksMax: 4,
  titleMax: 100,
  descriptionMax: 400,
  criteriaMax: 4,
  criterionMax: 160,
  sourcesMax: 4,
};

export function clampLimits(l: Partial<OutputLimits> = {}): OutputLimits {
  const v = { ...DEFAULT_OUTPUT_LIMITS, ...l };
  const clamp = (x: number, max: number, min = 1): number => Math.max(min, Math.min(Math.floor(x), max));
  return {
    epicsMax: clamp(v.epicsMax, LIMITS.epicsMax),
    storiesMax: clamp(v.storiesMax, LIMITS.storiesPerEpicMax),
    subtasksMax: clamp(v.subtasksMax, LIMITS.subtasksPerStoryMax, 0),
    titleMax: clamp(v.titleMax, LIMITS.titleMax),
    descriptionMax: clamp(v.descriptionMax, LIMITS.descriptionMax, 0),
    criteriaMax: clamp(v.criteriaMax, LIMITS.criteriaMax, 0),
    criterionMax: clamp(v.criterionMax, LIMITS.criterionMax),
    sourcesMax: clamp(v.sourcesMax, LIMITS.sourcesMax),
  };
}

/**
 * Characters per token the budget assumes for text the model writes. Measured with Qwen 2.5's
 * tokenizer on the corpus (bench/model.bench.ts, figure 6): English 3.07–4.81, German 3.66,
 * French 3.54, Spanish 3.68; the lowest (a technical page full of ids) is taken, so a real model's
 * answer fits. Random weights write denser text; their cut-off answers are recovered instead.
 */
export const BUDGET_CHARS_PER_TOKEN = 3;

/** Outline pass: the epics for the whole document. */
export function outlineSchema(l: OutputLimits) {
  return {
    type: 'object',
    properties: {
      epics: {
        type: 'array',
        minItems: 1,
        maxItems: l.epicsMax,
        items: {
          type: 'object',
          properties: {
            title: { type: 'string', minLength: 1, maxLength: l.titleMax },
            summary: { type: 'string', maxLength: l.descriptionMax },
          },
        },
      },
    },
  } as const satisfies GbnfJsonSchema;
}

export interface CompactOutline {
  epics: { title: string; summary: string }[];
}

export interface SectionSchemaOptions {
  minStories?: number;
  /** Coverage passes may answer that a block needs no story, with the reason. */
  allowNoStory?: boolean;
}

/**
 * Section pass: stories (with sub-tasks) for one section chunk. `sourceAliases` are the only block
 * references that exist in that chunk, so the grammar cannot produce an invented citation. The
 * citations come first in a story, so the model picks its sources before it writes about them;
 * each story picks its own epic; `after` names earlier stories of the same answer it depends on.
 */
export function sectionSchema(l: OutputLimits, epicCount: number, sourceAliases: readonly string[], options: SectionSchemaOptions = {}) {
  const epics = Array.from({ length: Math.max(1, epicCount) }, (_, i) => i + 1);
  const storyNumbers = Array.from({ length: Math.max(1, l.storiesMax) }, (_, i) => i + 1);
  const src = { type: 'array', minItems: 1, maxItems: Math.min(l.sourcesMax, sourceAliases.length), items: { enum: [...sourceAliases] } } as const;
  const stories = {
    type: 'array',
    minItems: options.minStories ?? 0,
    maxItems: l.storiesMax,
    items: {
      type: 'object',
      properties: {
        src,
        epic: { enum: epics },
        title: { type: 'string', minLength: 1, maxLength: l.titleMax },
        desc: { type: 'string', maxLength: l.descriptionMax },
        ac: { type: 'array', maxItems: l.criteriaMax, items: { type: 'string', minLength: 1, maxLength: l.criterionMax } },
        priority: { enum: [...PRIORITIES] },
        points: { enum: [...STORY_POINTS] },
        after: { type: 'array', maxItems: Math.min(2, Math.max(0, l.storiesMax - 1)), items: { enum: storyNumbers } },
        tasks: {
          type: 'array',
          maxItems: l.subtasksMax,
          items: {
            type: 'object',
            properties: {
              src: { type: 'array', maxItems: Math.min(2, sourceAliases.length), items: { enum: [...sourceAliases] } },
              title: { type: 'string', minLength: 1, maxLength: l.titleMax },
              hours: { enum: [...SUBTASK_HOURS] },
            },
          },
        },
      },
    },
  } as const;
  if (!options.allowNoStory) return { type: 'object', properties: { stories } } as const satisfies GbnfJsonSchema;
  return {
    type: 'object',
    properties: {
      stories,
      noStory: {
        type: 'array',
        // A reason is about as long as an acceptance criterion.
        maxItems: sourceAliases.length,
        items: { type: 'object', properties: { block: { enum: [...sourceAliases] }, why: { type: 'string', minLength: 1, maxLength: l.criterionMax } } },
      },
    },
  } as const satisfies GbnfJsonSchema;
}

export interface CompactTask {
  src: string[];
  title: string;
  hours: (typeof SUBTASK_HOURS)[number];
}
export interface CompactStory {
  src: string[];
  epic: number;
  title: string;
  desc: string;
  ac: string[];
  priority: (typeof PRIORITIES)[number];
  points: (typeof STORY_POINTS)[number];
  after: number[];
  tasks: CompactTask[];
}
export interface CompactSection {
  stories: CompactStory[];
  noStory?: { block: string; why: string }[];
}

/**
 * Upper bound of tokens the grammar lets the model write for a schema: random weights fill every
 * string to maxLength and every array to maxItems, and near a length limit only one-character
 * tokens fit, so one token per character is the budget. With `charsPerToken` above 1 it is the
 * budget for a trained model instead: strings at their maximum length, written at that many
 * characters per token, the JSON around them one token per key and punctuation mark.
 */
export function worstCaseTokens(schema: unknown, charsPerToken = 1): number {
  const s = schema as Record<string, unknown>;
  const structural = charsPerToken > 1;
  if (Array.isArray(s.enum)) return structural ? 2 : Math.max(...s.enum.map((v) => JSON.stringify(v).length)) + 1;
  switch (s.type) {
    case 'string':
      return Math.ceil(Number(s.maxLength ?? 1000) / charsPerToken) + 2;
    case 'array': {
      const n = Number(s.maxItems ?? 50);
      return 2 + n * (worstCaseTokens(s.items, charsPerToken) + 1);
    }
    case 'object': {
      const props = Object.entries((s.properties ?? {}) as Record<string, unknown>);
      return 2 + props.reduce((sum, [k, v]) => sum + (structural ? 3 : k.length + 4) + worstCaseTokens(v, charsPerToken), 0);
    }
    default:
      return 8;
  }
}

/** The token budget of an answer for a trained model: see BUDGET_CHARS_PER_TOKEN. */
export const budgetTokens = (schema: unknown, charsPerToken = BUDGET_CHARS_PER_TOKEN): number => worstCaseTokens(schema, charsPerToken);
