import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, STORY_POINTS, flattenBreakdown, parseBreakdown } from '../breakdown/schema.ts';
import type { Breakdown } from '../breakdown/schema.ts';
import { checkBreakdown } from '../breakdown/checkBreakdown.ts';
import { buildSpec, h, li, p, task } from '../breakdown/fixtures/specDocument.ts';
import type { PagePart } from '../breakdown/fixtures/specDocument.ts';
import type { SpecDocument } from '../spec/types.ts';
import { DRAFTER_NOTE, draftBreakdown } from './draftBreakdown.ts';

/** Every property the drafter promises for any page. */
function assertSound(doc: SpecDocument, b: Breakdown): void {
  const reparsed = parseBreakdown(JSON.parse(JSON.stringify(b)));
  assert.deepEqual(reparsed, b, 'the breakdown is schema-valid as drafted');
  const flat = flattenBreakdown(b);
  assert.equal(new Set(flat.map((f) => f.item.id)).size, flat.length, 'ids are unique');
  assert.ok(flat.length <= LIMITS.itemsMax);
  assert.ok(b.epics.length <= LIMITS.epicsMax);
  for (const e of b.epics) {
    assert.ok(e.stories.length <= LIMITS.storiesPerEpicMax, `${e.id} has ${e.stories.length} stories`);
    for (const s of e.stories) assert.ok(s.subtasks.length <= LIMITS.subtasksPerStoryMax);
  }
  for (const f of flat) {
    assert.equal(f.item.origin, 'drafter');
    assert.ok(f.item.sources.length <= LIMITS.sourcesMax);
  }
  const report = checkBreakdown(doc, b);
  assert.equal(report.coverage.ratio, 1, `uncovered: ${report.coverage.uncovered.join(', ')}`);
  assert.deepEqual(report.findings.filter((f) => f.severity === 'error'), []);
}

const invoicePage = (): SpecDocument =>
  buildSpec('Invoicing', [
    p('This page describes invoicing.'),
    p('FR-0 The system must keep an audit log of every change.'),
    h(1, 'Export'),
    p('Accountants take invoices to other tools.'),
    p('FR-001: The system must export invoices as CSV (comma separated).'),
    p('As an accountant, I want to download a PDF of an invoice, so that I can send it to a customer.'),
    h(2, 'Acceptance criteria'),
    li('The PDF contains the invoice number', ['acceptanceCriteria']),
    li('The PDF contains the total', ['acceptanceCriteria']),
    p('Given an invoice exists'),
    p('When I click download'),
    p('Then a PDF is downloaded'),
    h(1, 'Reminders'),
    p('Users should receive an email when an invoice is overdue. Could have: SMS.'),
    task('Decide on the email provider'),
    task('Write the templates', true),
    p('Must have: reminders are sent at 09:00 local time.', ['modal']),
    h(1, 'Open questions'),
    task('Ask legal about retention'),
  ]);

describe('draftBreakdown', () => {
  test('top-level headings become epics and content before the first heading an epic named after the page', () => {
    const b = draftBreakdown(invoicePage());
    assert.deepEqual(b.epics.map((e) => e.title), ['Invoicing', 'Export', 'Reminders', 'Open questions']);
    assert.deepEqual(b.generator, { kind: 'drafter', note: DRAFTER_NOTE });
    assert.match(b.epics[1]!.description, /Accountants take invoices to other tools\./);
    assertSound(invoicePage(), b);
  });

  test('a page with a single h1 takes its level-2 sections as epics', () => {
    const doc = buildSpec('Payments', [h(1, 'Payments'), h(2, 'Cards'), p('Cards must be charged once.'), h(2, 'Refunds'), p('Refunds must reach the card.')]);
    assert.deepEqual(draftBreakdown(doc).epics.map((e) => e.title), ['Cards', 'Refunds']);
  });

  test('a requirement becomes a story with a short title, full description, derived criterion, priority and estimate', () => {
    const s = draftBreakdown(invoicePage()).epics[1]!.stories[0]!;
    // "The system must" says nothing a title needs: the title is the action.
    assert.equal(s.title, 'FR-001: Export invoices as CSV');
    assert.match(s.description, /^FR-001: The system must export invoices as CSV \(comma separated\)\.\n\nFrom the page section: Export$/);
    assert.deepEqual(s.acceptanceCriteria, ['The system exports invoices as CSV (comma separated).']);
    assert.equal(s.priority, 'High');
    assert.ok((STORY_POINTS as readonly number[]).includes(s.estimate!));
    assert.deepEqual(s.labels, ['spec2tickets']);
    assert.deepEqual(s.sources, ['blk-3']);
  });

  test('a user story with its acceptance criteria and Given/When/Then lines becomes one story citing all of them', () => {
    const s = draftBreakdown(invoicePage()).epics[1]!.stories[1]!;
    assert.equal(s.title, 'As an accountant, I want to download a PDF of an invoice');
    assert.deepEqual(s.acceptanceCriteria, [
      'The PDF contains the invoice number',
      'The PDF contains the total',
      'Given an invoice exists; When I click download; Then a PDF is downloaded',
    ]);
    assert.deepEqual(s.sources, ['blk-4', 'blk-5', 'blk-6', 'blk-7', 'blk-8', 'blk-9']);
  });

  test('open tasks become sub-tasks of their section\'s story, or of a tasks story; done tasks are left out', () => {
    const b = draftBreakdown(invoicePage());
    const reminders = b.epics[2]!;
    assert.deepEqual(reminders.stories[0]!.subtasks.map((t) => [t.id, t.title]), [['T3.1.1', 'Decide on the email provider']]);
    assert.equal(reminders.stories[0]!.priority, 'Medium', '"should" is Medium even when a later sentence says "could"');
    assert.equal(reminders.stories[1]!.priority, 'High');
    const questions = b.epics[3]!;
    assert.equal(questions.stories[0]!.title, 'Open questions tasks');
    assert.deepEqual(questions.stories[0]!.subtasks.map((t) => t.title), ['Ask legal about retention']);
    assert.ok(!JSON.stringify(b).includes('Write the templates'));
  });

  test('500 requirements in one section are split into epics of at most 40 stories, fully covered', () => {
    const parts: PagePart[] = [h(1, 'Everything')];
    for (let i = 1; i <= 500; i++) parts.push(li(`REQ-${i} The system must handle case number ${i} of the ledger import.`));
    const doc = buildSpec('Big page', parts);
    const b = draftBreakdown(doc);
    assertSound(doc, b);
    assert.equal(b.epics.length, 13);
    assert.equal(b.epics[0]!.title, 'Everything');
    assert.equal(b.epics[1]!.title, 'Everything (part 2)');
    assert.equal(b.epics.reduce((n, e) => n + e.stories.length, 0), 500);
    assert.deepEqual(b.warnings, []);
  });

  test('a page too large for one story per requirement packs several requirements per story and says so', () => {
    const parts: PagePart[] = [];
    for (let s = 1; s <= 60; s++) {
      parts.push(h(1, `Area ${s}`));
      for (let i = 1; i <= 50; i++) parts.push(li(`Area ${s} must support operation ${i} for the ${s}-${i} workflow.`));
      for (let i = 1; i <= 15; i++) parts.push(task(`Check item ${s}.${i}`));
    }
    const doc = buildSpec('Huge page', parts);
    const b = draftBreakdown(doc);
    assertSound(doc, b);
    assert.match(b.warnings[0] ?? '', /requirements share a story/);
  });

  test('more top-level sections than epics allowed are merged into neighbouring epics', () => {
    const parts: PagePart[] = [];
    for (let s = 1; s <= 45; s++) parts.push(h(1, `Topic ${s}`), p(`Topic ${s} must be configurable per tenant.`));
    const doc = buildSpec('Many topics', parts);
    const b = draftBreakdown(doc);
    assertSound(doc, b);
    assert.equal(b.epics.length, LIMITS.epicsMax);
    assert.ok(b.epics.some((e) => e.title === 'Topic 1, Topic 2'));
  });

  test('the same page always gives the same breakdown', () => {
    assert.deepEqual(draftBreakdown(invoicePage()), draftBreakdown(invoicePage()));
  });

  test('a page without headings or requirements gives an empty, valid breakdown', () => {
    const doc = buildSpec('Notes', [p('Nothing to build here.')]);
    const b = draftBreakdown(doc);
    assert.deepEqual(b.epics, []);
    assertSound(doc, b);
  });
});
