import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, PRIORITIES, STORY_POINTS } from '../breakdown/schema.ts';
import { BUDGET_CHARS_PER_TOKEN, budgetTokens, clampLimits, DEFAULT_OUTPUT_LIMITS, outlineSchema, sectionSchema, worstCaseTokens } from './outputSchema.ts';

/** Every key used anywhere in a schema object. */
function keywords(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((x) => keywords(x, out));
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      out.add(k);
      if (k !== 'properties') keywords(v, out);
      else for (const p of Object.values(v as object)) keywords(p, out);
    }
  }
  return out;
}

describe('model output schema', () => {
  test('priorities and story points come from the breakdown contract', () => {
    const s = sectionSchema(DEFAULT_OUTPUT_LIMITS, 3, ['b1', 'b2']);
    const story = s.properties.stories.items.properties;
    assert.deepEqual(story.priority.enum, [...PRIORITIES]);
    assert.deepEqual(story.points.enum, [...STORY_POINTS]);
    assert.deepEqual(story.epic.enum, [1, 2, 3]);
  });

  test('citations can only be the blocks of the section being written', () => {
    const s = sectionSchema(DEFAULT_OUTPUT_LIMITS, 1, ['b1', 'b2', 'b3']);
    const src = s.properties.stories.items.properties.src;
    assert.deepEqual(src.items.enum, ['b1', 'b2', 'b3']);
    assert.equal(src.minItems, 1);
    assert.equal(sectionSchema(DEFAULT_OUTPUT_LIMITS, 1, ['b1']).properties.stories.items.properties.src.maxItems, 1);
  });

  test('limits asked for above the contract are clamped to it', () => {
    const huge = clampLimits({ epicsMax: 1e6, storiesMax: 1e6, subtasksMax: 1e6, titleMax: 1e6, descriptionMax: 1e6, criteriaMax: 1e6, criterionMax: 1e6, sourcesMax: 1e6 });
    assert.deepEqual(huge, {
      epicsMax: LIMITS.epicsMax,
      storiesMax: LIMITS.storiesPerEpicMax,
      subtasksMax: LIMITS.subtasksPerStoryMax,
      titleMax: LIMITS.titleMax,
      descriptionMax: LIMITS.descriptionMax,
      criteriaMax: LIMITS.criteriaMax,
      criterionMax: LIMITS.criterionMax,
      sourcesMax: LIMITS.sourcesMax,
    });
    const s = sectionSchema(huge, 1, ['b1']);
    assert.equal(s.properties.stories.maxItems, LIMITS.storiesPerEpicMax);
    assert.equal(s.properties.stories.items.properties.title.maxLength, LIMITS.titleMax);
    assert.equal(s.properties.stories.items.properties.ac.maxItems, LIMITS.criteriaMax);
  });

  test('only grammar-honoured keywords are used: no anyOf, null, pattern or required', () => {
    const used = new Set([...keywords(sectionSchema(DEFAULT_OUTPUT_LIMITS, 2, ['b1'])), ...keywords(outlineSchema(DEFAULT_OUTPUT_LIMITS))]);
    for (const bad of ['anyOf', 'pattern', 'required', 'nullable', 'format', 'minimum', 'maximum', 'uniqueItems']) assert.ok(!used.has(bad), bad);
    assert.ok(!JSON.stringify(sectionSchema(DEFAULT_OUTPUT_LIMITS, 2, ['b1'])).includes('null'));
  });

  test('the worst-case token budget covers every string at its maximum length', () => {
    const l = clampLimits({ storiesMax: 2, subtasksMax: 1, criteriaMax: 2, titleMax: 50, descriptionMax: 100, criterionMax: 40 });
    const budget = worstCaseTokens(sectionSchema(l, 1, ['b1']));
    const chars = 2 * (50 + 100 + 2 * 40 + 1 * 50);
    assert.ok(budget >= chars, `${budget} < ${chars}`);
    assert.ok(budget < chars * 2, `${budget} is not a tight bound`);
    const more = worstCaseTokens(sectionSchema({ ...l, storiesMax: 4 }, 1, ['b1']));
    assert.ok(more > budget * 1.8);
  });

  test('a story picks its citations first and its own epic; no key means two things across the schemas', () => {
    const s = sectionSchema(DEFAULT_OUTPUT_LIMITS, 2, ['b1', 'b2'], { allowNoStory: true });
    const story = s.properties.stories.items.properties;
    assert.equal(Object.keys(story)[0], 'src', 'citations come first');
    assert.deepEqual(story.epic.enum, [1, 2]);
    assert.deepEqual(story.tasks.items.properties.src.items.enum, ['b1', 'b2'], 'sub-tasks cite blocks of the chunk');
    const keysOf = (schema: unknown, at = new Map<string, string>()): Map<string, string> => {
      const o = schema as Record<string, unknown>;
      if (o.properties) for (const [k, v] of Object.entries(o.properties as Record<string, Record<string, unknown>>)) {
        const shape = String(v.type ?? 'enum');
        assert.ok(!at.has(k) || at.get(k) === shape, `key ${k} is used for ${at.get(k)} and ${shape}`);
        at.set(k, shape);
        keysOf(v, at);
      }
      if (o.items) keysOf(o.items, at);
      return at;
    };
    keysOf(outlineSchema(DEFAULT_OUTPUT_LIMITS), keysOf(s));
  });

  test('the answer budget of a trained model is the measured characters per token, not one token per character', () => {
    const schema = sectionSchema(DEFAULT_OUTPUT_LIMITS, 3, ['b1', 'b2']);
    const worst = worstCaseTokens(schema);
    const budget = budgetTokens(schema);
    const chars = DEFAULT_OUTPUT_LIMITS.storiesMax * (DEFAULT_OUTPUT_LIMITS.titleMax + DEFAULT_OUTPUT_LIMITS.descriptionMax + DEFAULT_OUTPUT_LIMITS.criteriaMax * DEFAULT_OUTPUT_LIMITS.criterionMax + DEFAULT_OUTPUT_LIMITS.subtasksMax * DEFAULT_OUTPUT_LIMITS.titleMax);
    assert.ok(budget >= chars / BUDGET_CHARS_PER_TOKEN, `${budget} tokens for ${chars} characters of text`);
    assert.ok(budget < worst / 2, `budget ${budget} vs worst case ${worst}`);
  });
});
