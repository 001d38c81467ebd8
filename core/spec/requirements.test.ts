// The tagger skips a pattern on texts shorter than its shortest match (MIN_LENGTH). These tests hold
// each minimum to its pattern: no shorter text matches, and texts of about that length are still tagged.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GUARDED_PATTERNS, MIN_LENGTH, isAcceptanceLeadIn, tagRequirement } from './requirements.ts';
import type { RequirementTag } from './types.ts';

/** Letters, digits and marks the patterns are written with, in both cases, plus separators. */
const ALPHABET = [...new Set('abcdefghijklmnopqrstuvwxyzäöüßéèáíóñç0123456789 -_,.:'.split(''))].flatMap((c) => (c.toUpperCase() === c || c.toUpperCase().length !== 1 ? [c] : [c, c.toUpperCase()]));

function* stringsUpTo(length: number, prefix = ''): Generator<string> {
  if (prefix.length > 0) yield prefix;
  if (prefix.length === length) return;
  for (const c of ALPHABET) yield* stringsUpTo(length, prefix + c);
}

function tags(text: string, previousWasGherkin = false): RequirementTag[] {
  return tagRequirement({ kind: 'listItem', text, headingPath: [], underAcceptanceLeadIn: false, previousWasGherkin }).tags;
}

describe('requirement tagging of short texts', () => {
  // Every text below a minimum, over the pattern's alphabet (length ≤ 3: about 700,000 texts).
  for (const name of ['id', 'modal', 'given'] as const) {
    test(`no text shorter than ${MIN_LENGTH[name]} characters matches the ${name} pattern`, () => {
      const pattern = GUARDED_PATTERNS[name];
      let tried = 0;
      for (const text of stringsUpTo(MIN_LENGTH[name] - 1)) {
        tried++;
        assert.equal(pattern.test(text), false, `'${text}' matches ${name}`);
      }
      assert.ok(tried > 1000, `tried ${tried} texts`);
    });
  }

  test('the two longer patterns need more than their minimum, by construction', () => {
    // Brute force is out of reach at 9 and 10 characters; the shortest texts they match are longer.
    assert.equal(GUARDED_PATTERNS.inlineScenario.test('wenn dann'), true);
    assert.equal(GUARDED_PATTERNS.inlineScenario.test('wenndann'), false);
    assert.equal('wenn dann'.length, MIN_LENGTH.inlineScenario);
    assert.equal(GUARDED_PATTERNS.userStory.test('como x deseo'), true);
    assert.ok('como x deseo'.length >= MIN_LENGTH.userStory);
    // The shortest of the lead-in's alternatives (each is a fixed phrase; \s+ is one character at least).
    for (const phrase of ['abnahmekriterien', 'Akzeptanzkriterien', 'definition of done', 'acceptance criteria', "critères d'acceptation", 'criterios de aceptación']) {
      assert.equal(GUARDED_PATTERNS.acceptanceLeadIn.test(phrase), true, phrase);
      assert.ok(phrase.length >= MIN_LENGTH.acceptanceLeadIn, phrase);
    }
    assert.equal(isAcceptanceLeadIn('Abnahmekriterien'), true);
    assert.equal(isAcceptanceLeadIn('Abnahmekriterie'), false);
  });

  test('texts at each minimum are still tagged', () => {
    assert.deepEqual(tags('US1'), ['id']);
    assert.deepEqual(tags('must'), ['modal']);
    assert.deepEqual(tags('Soll'), ['modal']);
    assert.deepEqual(tags('dado'), ['gherkin']);
    assert.deepEqual(tags('wenn dann'), ['gherkin']);
    assert.deepEqual(tags('como x deseo'), ['userStory']);
    // The one pattern left unguarded: a step that continues a scenario can be a single letter.
    assert.deepEqual(tags('y', true), ['gherkin']);
    assert.deepEqual(tags('y', false), []);
  });
});
