// The breakdown schema is the one gate for untrusted breakdowns (model output, reviewer edits through the
// API), so each rule must reject with a problem that names the offending field's path: the API turns
// those paths into its error's field list, and the review screen points at the field.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BreakdownValidationError, LIMITS, parseBreakdown } from './schema.ts';

const valid = () => ({
  generator: { kind: 'drafter', note: 'Drafted without a model from the page structure.' },
  epics: [
    {
      id: 'E1',
      title: 'Checkout',
      stories: [
        {
          id: 'S1.1',
          title: 'Pay by card',
          estimate: 5,
          labels: ['payments'],
          sources: ['b-0a1b2c3d'],
          subtasks: [{ id: 'T1.1.1', title: 'Card form', estimate: 4 }],
        },
      ],
    },
  ],
});

/** The problems of an input that must be refused; fails the test when the input is accepted. */
function problemsOf(input: unknown): string[] {
  try {
    parseBreakdown(input);
  } catch (err) {
    assert.ok(err instanceof BreakdownValidationError, `expected BreakdownValidationError, got ${String(err)}`);
    assert.match(err.message, /^Breakdown is invalid: /);
    return err.problems;
  }
  assert.fail('the breakdown was accepted');
}

function assertProblem(problems: string[], path: string, message: RegExp): void {
  const hit = problems.find((p) => p.startsWith(`${path}: `));
  assert.ok(hit, `no problem at ${path}; got ${JSON.stringify(problems)}`);
  assert.match(hit, message);
}

describe('parseBreakdown', () => {
  test('a valid breakdown is accepted with schema defaults filled in', () => {
    const b = parseBreakdown(valid());
    assert.equal(b.schemaVersion, 1);
    const story = b.epics[0]!.stories[0]!;
    assert.equal(story.priority, 'Medium');
    assert.deepEqual(story.acceptanceCriteria, []);
    // Sub-task estimates are hours, so a value that is not a story point is fine there.
    assert.equal(story.subtasks[0]!.estimate, 4);
    assert.equal(b.epics[0]!.estimate, null);
  });

  test('a story estimate of 4 is refused: story points are 1, 2, 3, 5, 8, 13', () => {
    const input = valid();
    input.epics[0]!.stories[0]!.estimate = 4;
    assertProblem(problemsOf(input), 'epics.0.stories.0.estimate', /story points must be one of 1, 2, 3, 5, 8, 13/);
  });

  test('a label with a space is refused at its index', () => {
    const input = valid();
    input.epics[0]!.stories[0]!.labels = ['payments', 'credit card'];
    const problems = problemsOf(input);
    assertProblem(problems, 'epics.0.stories.0.labels.1', /labels cannot contain spaces/);
    assert.equal(problems.length, 1, 'the valid label is not reported');
  });

  test('an id must have its own level\'s shape: E1.1.1 is not an epic, S1 is not a story', () => {
    const input = valid();
    input.epics[0]!.id = 'E1.1.1';
    assertProblem(problemsOf(input), 'epics.0.id', /id must look like E1 \(an epic\)/);
    input.epics[0]!.id = 'E1';
    input.epics[0]!.stories[0]!.id = 'S1';
    assertProblem(problemsOf(input), 'epics.0.stories.0.id', /id must look like S1\.2 \(a story\)/);
    input.epics[0]!.stories[0]!.id = 'S1.1';
    input.epics[0]!.stories[0]!.subtasks[0]!.id = 'S1.1.1';
    assertProblem(problemsOf(input), 'epics.0.stories.0.subtasks.0.id', /id must look like T1\.2\.3/);
  });

  test('an empty or blank title is refused as empty', () => {
    const input = valid();
    input.epics[0]!.stories[0]!.subtasks[0]!.title = '   ';
    assertProblem(problemsOf(input), 'epics.0.stories.0.subtasks.0.title', /title is empty/);
  });

  test(`more than ${LIMITS.epicsMax} epics are refused at the epics array`, () => {
    const input = valid();
    input.epics = Array.from({ length: LIMITS.epicsMax + 1 }, (_, i) => ({ id: `E${i + 1}`, title: `Epic ${i + 1}`, stories: [] }));
    assertProblem(problemsOf(input), 'epics', new RegExp(`${LIMITS.epicsMax}`));
    input.epics.pop();
    assert.equal(parseBreakdown(input).epics.length, LIMITS.epicsMax);
  });

  test('several problems are all listed, each with its own path; a missing generator names the root field', () => {
    const problems = problemsOf({ epics: [{ id: 'E1', title: '', labels: ['a b'] }] });
    assertProblem(problems, 'generator', /./);
    assertProblem(problems, 'epics.0.title', /title is empty/);
    assertProblem(problems, 'epics.0.labels.0', /labels cannot contain spaces/);
    assertProblem(problemsOf('not a breakdown'), '(root)', /./);
  });
});
