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

/** Outline pass: the epics for the whole document. */
export function outlineSchema(l: OutputLimits) {
  return {
    type: 'object',
    properties: {
      e: {
        type: 'array',
        minItems: 1,
        maxItems: l.epicsMax,
        items: {
          type: 'object',
          properties: {
            t: { type: 'string', minLength: 1, maxLength: l.titleMax },
            d: { type: 'string', maxLength: l.descriptionMax },
          },
        },
      },
    },
  } as const satisfies GbnfJsonSchema;
}

export interface CompactOutline {
  e: { t: string; d: string }[];
}

/**
 * Section pass: stories (with sub-tasks) for one section chunk. `sourceAliases` are the only block
 * references that exist in that chunk, so the grammar cannot produce an invented citation.
 */
export function sectionSchema(l: OutputLimits, epicCount: number, sourceAliases: readonly string[], options: { minStories?: number } = {}) {
  const epics = Array.from({ length: Math.max(1, epicCount) }, (_, i) => i + 1);
  return {
    type: 'object',
    properties: {
      ep: { enum: epics },
      s: {
        type: 'array',
        minItems: options.minStories ?? 0,
        maxItems: l.storiesMax,
        items: {
          type: 'object',
          properties: {
            t: { type: 'string', minLength: 1, maxLength: l.titleMax },
            d: { type: 'string', maxLength: l.descriptionMax },
            ac: { type: 'array', maxItems: l.criteriaMax, items: { type: 'string', minLength: 1, maxLength: l.criterionMax } },
            p: { enum: [...PRIORITIES] },
            e: { enum: [...STORY_POINTS] },
            src: { type: 'array', minItems: 1, maxItems: Math.min(l.sourcesMax, sourceAliases.length), items: { enum: [...sourceAliases] } },
            st: {
              type: 'array',
              maxItems: l.subtasksMax,
              items: {
                type: 'object',
                properties: {
                  t: { type: 'string', minLength: 1, maxLength: l.titleMax },
                  h: { enum: [...SUBTASK_HOURS] },
                },
              },
            },
          },
        },
      },
    },
  } as const satisfies GbnfJsonSchema;
}

export interface CompactStory {
  t: string;
  d: string;
  ac: string[];
  p: (typeof PRIORITIES)[number];
  e: (typeof STORY_POINTS)[number];
  src: string[];
  st: { t: string; h: number }[];
}
export interface CompactSection {
  ep: number;
  s: CompactStory[];
}

/**
 * Upper bound of tokens the grammar lets the model write for a schema: random weights fill every
 * string to maxLength and every array to maxItems, and near a length limit only one-character
 * tokens fit, so one token per character is the budget.
 */
export function worstCaseTokens(schema: unknown): number {
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum)) return Math.max(...s.enum.map((v) => JSON.stringify(v).length)) + 1;
  switch (s.type) {
    case 'string':
      return Number(s.maxLength ?? 1000) + 2;
    case 'array': {
      const n = Number(s.maxItems ?? 50);
      return 2 + n * (worstCaseTokens(s.items) + 1);
    }
    case 'object': {
      const props = Object.entries((s.properties ?? {}) as Record<string, unknown>);
      return 2 + props.reduce((sum, [k, v]) => sum + k.length + 4 + worstCaseTokens(v), 0);
    }
    default:
      return 8;
  }
}
