import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, PRIORITIES, STORY_POINTS } from '../breakdown/schema.ts';
import { clampLimits, DEFAULT_OUTPUT_LIMITS, outlineSchema, sectionSchema, worstCaseTokens } from './outputSchema.ts';

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
    const story = s.properties.s.items.properties;
    assert.deepEqual(story.p.enum, [...PRIORITIES]);
    assert.deepEqual(story.e.enum, [...STORY_POINTS]);
    assert.deepEqual(s.properties.ep.enum, [1, 2, 3]);
  });

  test('citations can only be the blocks of the section being written', () => {
    const s = sectionSchema(DEFAULT_OUTPUT_LIMITS, 1, ['b1', 'b2', 'b3']);
    const src = s.properties.s.items.properties.src;
    assert.deepEqual(src.items.enum, ['b1', 'b2', 'b3']);
    assert.equal(src.minItems, 1);
    assert.equal(sectionSchema(DEFAULT_OUTPUT_LIMITS, 1, ['b1']).properties.s.items.properties.src.maxItems, 1);
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
    assert.equal(s.properties.s.maxItems, LIMITS.storiesPerEpicMax);
    assert.equal(s.properties.s.items.properties.t.maxLength, LIMITS.titleMax);
    assert.equal(s.properties.s.items.properties.ac.maxItems, LIMITS.criteriaMax);
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
});
