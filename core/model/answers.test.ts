import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DraftEpic } from './assemble.ts';
import { completeStoriesOfPrefix, findDegenerate, sectionAnswer, wrongLanguage } from './answers.ts';
import { mergeDuplicateStories } from './duplicateStories.ts';
import type { CompactStory } from './outputSchema.ts';

const story = (over: Partial<CompactStory> = {}): CompactStory => ({
  src: ['b1'],
  epic: 1,
  title: 'Export orders',
  desc: 'Users export the orders of a month.',
  ac: ['One line per order'],
  priority: 'High',
  points: 3,
  after: [],
  tasks: [],
  ...over,
});

describe('reading the model answers', () => {
  test('a cut-off answer keeps every story that closed, even with braces and quotes inside strings', () => {
    const a = story({ title: 'Export {orders} "as" CSV]' });
    const b = story({ src: ['b2'], title: 'Schedule' });
    const text = JSON.stringify({ stories: [a, b] });
    const prefix = `${text.slice(0, text.lastIndexOf('"Schedule"'))}"Sched`;
    assert.deepEqual(completeStoriesOfPrefix(prefix), [a]);
    assert.deepEqual(completeStoriesOfPrefix(text), [a, b]);
    assert.deepEqual(completeStoriesOfPrefix('{"stories":[{"src":["b1"],"epi'), []);
    assert.deepEqual(completeStoriesOfPrefix('{"stor'), []);
  });

  test('an answer is checked: citations only from the chunk, epics in range, no empty titles', () => {
    const check = sectionAnswer(['b1', 'b2'], 2);
    assert.ok(check.safeParse({ stories: [story()] }).success);
    const bad = [story({ src: ['b9'] }), story({ epic: 3 }), story({ title: '   ' }), story({ src: [] })];
    for (const s of bad) assert.equal(check.safeParse({ stories: [s] }).success, false, JSON.stringify(s));
    assert.equal(check.safeParse({ stories: 'none' }).success, false);
  });

  test('looping output is found: a repeated run of words, or the same sentence in two stories', () => {
    assert.equal(findDegenerate([story(), story({ desc: 'Administrators schedule the monthly export of orders.' })]), undefined);
    assert.match(findDegenerate([story({ desc: 'the order is saved and the order is saved and the order is saved and' })]) ?? '', /repeat 3 times/);
    const same = 'The export contains every order of the chosen month.';
    assert.match(findDegenerate([story({ desc: same }), story({ desc: `Other text. ${same}` })]) ?? '', /stories 1 and 2/);
  });

  test('a wrong-language answer is found; short answers and unknown languages are not judged', () => {
    const german = [story({ title: 'Bestellungen exportieren', desc: 'Der Benutzer kann die Bestellungen des Monats als Datei exportieren und die Liste wird geprüft.' })];
    assert.equal(wrongLanguage(german, 'en'), 'de');
    assert.equal(wrongLanguage(german, 'de'), undefined);
    assert.equal(wrongLanguage([story({ title: 'Export', desc: 'CSV' })], 'de'), undefined);
    assert.equal(wrongLanguage(german, 'ja'), undefined);
  });

  test('stories written twice by different chunks are merged; alike titles on other blocks are flagged', () => {
    const epic: DraftEpic = { title: 'E', description: '', stories: [] };
    const first = { story: story({ title: 'FR-1 Export orders as CSV' }), sources: ['blk-1'], chunk: 0 };
    const again = { story: story({ title: 'FR-1 Export the orders as CSV', ac: ['Ends in 10 s'] }), sources: ['blk-1'], chunk: 1 };
    const sameChunk = { story: story({ title: 'FR-1 Export orders as CSV' }), sources: ['blk-1'], chunk: 0 };
    const other = { story: story({ title: 'FR-1 Export orders as CSV' }), sources: ['blk-9'], chunk: 2 };
    const later = { story: story({ title: 'Later' }), sources: ['blk-5'], chunk: 1, dependsOn: [{ epic, story: again }] };
    epic.stories.push(first, again, sameChunk, other, later);
    assert.deepEqual(mergeDuplicateStories([epic]), { merged: 1, flagged: 1 });
    assert.deepEqual(epic.stories, [first, sameChunk, other, later]);
    assert.deepEqual(first.story.ac, ['One line per order', 'Ends in 10 s']);
    assert.match((first as { notes?: string }).notes ?? '', /Merged with/);
    assert.match((other as { notes?: string }).notes ?? '', /Possible duplicate/);
    assert.equal(later.dependsOn[0]!.story, first, 'a dependency on the merged story moves to the one kept');
  });
});
