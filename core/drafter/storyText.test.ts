import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SpecBlock } from '../spec/types.ts';
import { derivedCriterion, estimateFor, priorityFor, titleFor } from './storyText.ts';

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

  test('the title comes from the sentence with the modal verb, without bracketed remarks, cut at a word', () => {
    assert.equal(titleFor(block('Agents lose time today. Everything should be in one inbox (see survey).')), 'Everything should be in one inbox');
    const long = titleFor(block(`The system must ${'reconcile every ledger entry '.repeat(10)}nightly.`));
    assert.ok(long.length <= 100);
    assert.match(long, /entry…$|ledger…$|every…$|reconcile…$/);
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
    assert.equal(derivedCriterion(block('Rechnungen müssen als PDF erstellt werden.')), 'Meets the requirement: Rechnungen müssen als PDF erstellt werden.');
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
