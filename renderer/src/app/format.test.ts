// Counts in words as the queue and the job header show them (one epic, one story, one sub-task in
// the singular), and lists of words as the re-sync panel writes them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countsText, wordList } from './format.ts';

test('item counts are singular for one and plural otherwise', () => {
  assert.equal(countsText({ epics: 1, stories: 1, subtasks: 1 }), '1 epic · 1 story · 1 sub-task');
  assert.equal(countsText({ epics: 2, stories: 0, subtasks: 12 }), '2 epics · 0 stories · 12 sub-tasks');
  assert.equal(countsText({ epics: 1, stories: 2, subtasks: 0, created: 3 }), '1 epic · 2 stories · 0 sub-tasks · 3 created');
  assert.equal(countsText(null), '—');
});

test('a list of words reads as a sentence: commas, then "and" before the last', () => {
  assert.equal(wordList([]), '');
  assert.equal(wordList(['summary']), 'summary');
  assert.equal(wordList(['summary', 'estimate']), 'summary and estimate');
  assert.equal(wordList(['description', 'acceptance criteria', 'estimate']), 'description, acceptance criteria and estimate');
});
