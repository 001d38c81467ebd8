import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpecBlock } from '../spec/types.ts';
import { clipPhrase, derivedCriterion, estimateFor, priorityFor, titleFor } from './storyText.ts';
import { endsMidPhrase } from '../breakdown/lintStory.ts';

const block = (text: string, extra: Partial<SpecBlock> = {}): SpecBlock => ({
  id: 'b1',
  kind: 'paragraph',
  text,
  headingPath: ['Payments'],
  sectionId: 's1',
  tags: ['modal'],
  ...extra,
});

describe('story text from a requirement', () => {
  test('a table row is titled by its requirement cell and prioritised by its priority column', () => {
    const row = block('ID: REQ-4; Requirement: Refunds must show the bank reason.; Priority: Could', {
      kind: 'tableRow',
      tags: ['id', 'modal'],
      requirementId: 'REQ-4',
      cells: [
        { header: 'ID', text: 'REQ-4' },
        { header: 'Requirement', text: 'Refunds must show the bank reason.' },
        { header: 'Priority', text: 'Could' },
      ],
    });
    assert.equal(titleFor(row), 'REQ-4: Refunds must show the bank reason');
    assert.equal(derivedCriterion(row), 'Refunds show the bank reason.');
    assert.equal(priorityFor([row]), 'Low', 'the priority column wins over the "must" in the text');
  });

  test('the title comes from the sentence with the modal verb, without bracketed remarks, ended at a phrase boundary', () => {
    assert.equal(titleFor(block('Agents lose time today. Everything should be in one inbox (see survey).')), 'Everything should be in one inbox');
    const long = titleFor(block(`The system must ${'reconcile every ledger entry '.repeat(10)}nightly.`));
    assert.ok(long.length <= 100);
    assert.equal(endsMidPhrase(long), false, long);
  });

  test('a bold or bracketed label after the id is kept, a generic subject gives an imperative title, and the cut falls before a phrase', () => {
    const fr = block("FR-001 (Source ladder): The bridge MUST derive the spec issue's title via a first-match ladder over the page title, its first heading, the first sentence of its body and the page id.", {
      kind: 'listItem',
      tags: ['id', 'modal'],
      requirementId: 'FR-001',
    });
    const title = titleFor(fr);
    assert.equal(title, "FR-001 Source ladder: derive the spec issue's title via a first-match ladder over the page title");
    assert.ok(!title.includes(': :'));
    assert.equal(titleFor(block('FR-002: System MUST report clear error messages when:', { tags: ['id', 'modal'], requirementId: 'FR-002' })), 'FR-002: Report clear error messages');
    assert.equal(titleFor(block('FR-009: Both Bash and PowerShell scripts MUST support the settings file', { tags: ['id', 'modal'], requirementId: 'FR-009' })), 'FR-009: Both Bash and PowerShell scripts MUST support the settings file');
    assert.equal(clipPhrase('The bridge MUST derive the title via a first-match ladder over the page title and its headings', 60), 'The bridge MUST derive the title via a first-match ladder');
  });

  test('an edge case asked as a question is titled by the situation it names, without its inline answer', () => {
    const q = block('What happens when the settings file contains syntax errors?', { kind: 'listItem', tags: ['edgeCase'] });
    assert.equal(titleFor(q), 'Handle the case when the settings file contains syntax errors');
    const answered = block('What happens when the user interrupts the loop (Ctrl+C)? → Gracefully stop, preserve progress file', { kind: 'listItem', tags: ['edgeCase'] });
    assert.equal(titleFor(answered), 'Handle the case when the user interrupts the loop');
    assert.equal(titleFor(block('How are git command failures handled in rollback tests?', { kind: 'listItem', tags: ['edgeCase'] })), 'How are git command failures handled in rollback tests');
  });

  test('criteria are derived in the third person, with plural subjects and "be able to"', () => {
    assert.equal(derivedCriterion(block('The service shall export reports as XLSX.')), 'The service exports reports as XLSX.');
    assert.equal(derivedCriterion(block('Changes made offline should sync within 30 s.')), 'Changes made offline sync within 30 s.');
    assert.equal(derivedCriterion(block('Customers shall be able to pay with vouchers.')), 'Customers can pay with vouchers.');
    assert.equal(derivedCriterion(block('The export must not include deleted rows.')), 'The export does not include deleted rows.');
    assert.equal(
      derivedCriterion(block('As a clerk, I want to search refunds so that I can answer calls.', { tags: ['userStory'] })),
      'A clerk can search refunds.',
    );
    // No boilerplate: a sentence the rules cannot turn into a condition gives no criterion (the caller says so to the reviewer).
    assert.equal(derivedCriterion(block('Rechnungen müssen als PDF erstellt werden.')), undefined);
  });

  test('user stories become "<role> can <goal>" only when the goal is an action, with the pronouns of the role', () => {
    assert.equal(
      derivedCriterion(block('As a developer on a team, I want to see my username in the branch name so that I find my branches.', { tags: ['userStory'] })),
      'A developer on a team can see their username in the branch name.',
    );
    assert.equal(derivedCriterion(block('As a returning shopper, I want my default card preselected so that I pay faster.', { tags: ['userStory'] })), undefined);
    assert.equal(derivedCriterion(block('As a customer, I want a receipt by email, so that I can claim expenses.', { tags: ['userStory'] })), undefined);
  });

  test('a leading condition stays in front of the rewritten statement', () => {
    assert.equal(derivedCriterion(block('In fast mode, the system MUST skip the architecture review.')), 'In fast mode, the system skips the architecture review.');
    assert.equal(derivedCriterion(block('While not in scope, how will the system accommodate other languages?')), undefined, 'a question is not a statement');
  });

  test('verbs joined by "and" agree with the subject', () => {
    assert.equal(
      derivedCriterion(block('System MUST report the parsing error with file location and continue with default template.')),
      'System reports the parsing error with file location and continues with default template.',
    );
  });

  test('priority follows MoSCoW words and modal verbs, earliest first, with "critical" overriding', () => {
    assert.equal(priorityFor([block('Users should get an e-mail. Could have: SMS.')]), 'Medium');
    assert.equal(priorityFor([block('Must have: nightly backups.')]), 'High');
    assert.equal(priorityFor([block('Nice to have: dark mode.')]), 'Low');
    assert.equal(priorityFor([block('Payments may be retried; this is critical for revenue.')]), 'Highest');
    assert.equal(priorityFor([block('Der Versand darf nicht vor der Freigabe erfolgen.')]), 'High');
    assert.equal(priorityFor([block('Plain statement.')]), 'Medium');
  });

  test('estimates grow with size and stay below 13 points', () => {
    assert.equal(estimateFor(10, 1, 0), 1);
    assert.equal(estimateFor(40, 1, 0), 3);
    assert.equal(estimateFor(40, 5, 0), 5);
    assert.equal(estimateFor(5000, 8, 12), 8);
  });
});
