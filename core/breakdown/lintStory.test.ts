import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StorySchema, SubtaskSchema, parseBreakdown } from './schema.ts';
import type { Story } from './schema.ts';
import { ADVISED_TITLE_MAX, endsMidPhrase, isTemplateCriterion, lintBreakdown, lintEpic, lintStory, lintSubtask } from './lintStory.ts';
import { EpicSchema } from './schema.ts';

const story = (fields: Partial<Story> & { title: string }): Story =>
  StorySchema.parse({ id: 'S1.1', estimate: 3, acceptanceCriteria: ['A refund is visible in the ledger within 5 minutes.'], ...fields });
const codes = (s: Story): string[] => lintStory(s).map((f) => f.code);

describe('lintStory', () => {
  test('a well-formed, atomic, estimated story with criteria has no findings', () => {
    assert.deepEqual(lintStory(story({ title: 'As a clerk, I want to refund a card payment, so that the customer gets their money back' })), []);
    assert.deepEqual(lintStory(story({ title: 'Refund a card payment', description: 'As a clerk, I want to refund a card payment so that the customer is repaid.' })), []);
  });

  test('a user story without a benefit is a warning', () => {
    const f = lintStory(story({ title: 'As a clerk, I want to refund a card payment' }));
    assert.deepEqual(f.map((x) => [x.severity, x.code]), [['warning', 'story-no-benefit']]);
    assert.match(f[0]!.message, /so that/);
  });

  test('a user story missing its goal is malformed', () => {
    assert.deepEqual(codes(story({ title: 'As a clerk, refunds' })), ['story-malformed']);
  });

  test('two goals joined by "and", "/" or "&" are not atomic, in English and German', () => {
    for (const title of [
      'As a clerk, I want to refund and cancel a payment, so that mistakes are fixed',
      'As a clerk, I want to refund/cancel a payment, so that mistakes are fixed',
      'Als Sachbearbeiter möchte ich Zahlungen erstatten und stornieren, damit Fehler behoben werden',
    ]) {
      const f = lintStory(story({ title })).find((x) => x.code === 'story-not-atomic');
      assert.ok(f, title);
    }
    assert.ok(!codes(story({ title: 'As a clerk, I want to refund a payment, so that sales and support agree' })).includes('story-not-atomic'));
  });

  test('French and Spanish story templates are recognised', () => {
    assert.deepEqual(codes(story({ title: "En tant que comptable, je veux exporter les factures afin de les archiver" })), []);
    assert.deepEqual(codes(story({ title: 'Como contable, quiero exportar las facturas' })), ['story-no-benefit']);
  });

  test('a story without acceptance criteria or estimate is flagged, 13 points suggests splitting, 4 points is an error', () => {
    assert.deepEqual(codes(story({ title: 'Refund a payment', acceptanceCriteria: [], estimate: null })), ['no-acceptance-criteria', 'no-estimate']);
    const big = lintStory(story({ title: 'Refund a payment', estimate: 13 }));
    assert.equal(big[0]?.code, 'estimate-too-large');
    assert.match(big[0]!.message, /split/);
    const bad = lintStory({ ...story({ title: 'Refund a payment' }), estimate: 4 });
    assert.deepEqual(bad.map((x) => [x.severity, x.code]), [['error', 'invalid-estimate']]);
  });

  test('vague words in the title or criteria are named, in English, German, French and Spanish', () => {
    const f = lintStory(story({ title: 'Fast refund search', acceptanceCriteria: ['Search is user-friendly and/or intuitive', 'Totals add up'] }));
    const v = f.find((x) => x.code === 'vague-word');
    assert.ok(v);
    assert.match(v.message, /title: "fast"/);
    assert.match(v.message, /criterion 1: "user-friendly", "and\/or", "intuitive"/);
    for (const title of ['Schnelle Suche ist einfach', 'Recherche rapide des remboursements', 'Búsqueda fácil de reembolsos', 'Refund rules TBD']) {
      assert.ok(codes(story({ title })).includes('vague-word'), title);
    }
    assert.ok(!codes(story({ title: 'Breakfast menu export' })).includes('vague-word'), 'a vague word inside another word is not a match');
  });

  test('"etc." is vague wherever it stands; words that merely contain "etc" are not', () => {
    const f = lintStory(story({ title: 'Export refunds as CSV, PDF etc.', acceptanceCriteria: ['Cards, wallets, etc. can be refunded', 'Totals add up'] }));
    const v = f.find((x) => x.code === 'vague-word');
    assert.ok(v, 'a story ending its list with "etc." is flagged');
    assert.match(v.message, /title: "etc"/);
    assert.match(v.message, /criterion 1: "etc"/);
    assert.doesNotMatch(v.message, /criterion 2/);
    assert.ok(codes(story({ title: 'Refund cards, vouchers, ETC' })).includes('vague-word'), 'case does not matter');
    for (const title of ['Fetch refunds from the ledger', 'Store refund settings in etcd', 'Sketch the refund screen']) {
      assert.ok(!codes(story({ title })).includes('vague-word'), title);
    }
  });

  test('technology in the title is a solution, not a need', () => {
    for (const title of ['Cache refunds using Redis', 'Refund screen in React', 'Send refunds via API']) {
      assert.ok(codes(story({ title })).includes('solution-in-title'), title);
    }
    assert.ok(!codes(story({ title: 'Export refunds with totals' })).includes('solution-in-title'));
  });

  test('long, bracketed or multi-sentence titles are not minimal', () => {
    assert.deepEqual(codes(story({ title: `Refund ${'x'.repeat(ADVISED_TITLE_MAX)}` })), ['title-too-long']);
    assert.deepEqual(codes(story({ title: 'Refund a payment (see the old wiki) [draft]' })), ['title-not-minimal']);
    assert.deepEqual(codes(story({ title: 'Refund a payment. Also cancel orders' })), ['title-not-minimal']);
  });
});

describe('lintSubtask and lintBreakdown', () => {
  test('sub-tasks are not asked for the story form, criteria or an estimate, but are checked for vague words', () => {
    assert.deepEqual(lintSubtask(SubtaskSchema.parse({ id: 'T1.1.1', title: 'Write the refund migration' })), []);
    assert.equal(lintSubtask(SubtaskSchema.parse({ id: 'T1.1.1', title: 'Make the migration robust' }))[0]?.code, 'vague-word');
  });

  test('two stories with the same title are reported once, naming the first', () => {
    const b = parseBreakdown({
      generator: { kind: 'model' },
      epics: [
        { id: 'E1', title: 'A', stories: [{ id: 'S1.1', title: 'Refund a payment', estimate: 2, acceptanceCriteria: ['x'] }] },
        { id: 'E2', title: 'B', stories: [{ id: 'S2.1', title: 'refund a payment', estimate: 2, acceptanceCriteria: ['y'] }] },
      ],
    });
    const f = lintBreakdown(b);
    assert.deepEqual(f.map((x) => [x.code, x.itemId]), [['title-not-unique', 'S2.1']]);
    assert.match(f[0]!.message, /S1\.1/);
  });
});

describe('lint of machine-cut text', () => {
  test('a title cut mid-phrase is a warning; one that ends where its phrase ends is not', () => {
    for (const title of ["FR-001: The bridge MUST derive the spec issue's title via a", 'Export invoices as CSV for the…', 'Sync the ledger and', 'Report errors when:']) {
      assert.ok(codes(story({ title })).includes('title-cut-mid-phrase'), title);
    }
    for (const title of ['FR-001 Source ladder: derive the issue title from a first-match ladder', 'Keep feature A', 'Export invoices as CSV']) {
      assert.ok(!codes(story({ title })).includes('title-cut-mid-phrase'), title);
    }
    assert.equal(endsMidPhrase('A'), false, 'a one-word title is not a cut');
  });

  test('boilerplate criteria and criteria cut before their object are template criteria', () => {
    const f = lintStory(story({ title: 'Refund a card payment', acceptanceCriteria: ['Meets the requirement: (Source ladder): The bridge MUST derive the title via a.', 'Refunds reach the card within 5 days.'] }));
    const t = f.find((x) => x.code === 'template-criterion');
    assert.ok(t);
    assert.match(t.message, /criterion 1 /);
    assert.ok(isTemplateCriterion('System reports clear error messages when.'));
    assert.ok(isTemplateCriterion('All listed sub-tasks are done.'));
    assert.ok(!isTemplateCriterion('Users configure a branch template in under 2 minutes.'));
    assert.ok(!isTemplateCriterion('Feature B gets its own worktree without affecting feature A.'));
  });

  test('doubled punctuation is flagged in titles and criteria, an ellipsis or a quoted path is not', () => {
    assert.ok(codes(story({ title: "FR-001: : Derive the spec issue's title" })).includes('duplicated-punctuation'));
    assert.ok(codes(story({ title: 'Refund a card payment', acceptanceCriteria: ['The refund is shown.. in the ledger'] })).includes('duplicated-punctuation'));
    assert.ok(!codes(story({ title: 'Reject branch names that contain ..', acceptanceCriteria: ['Names with .. or a leading - are refused (e.g., feature/x).'] })).includes('duplicated-punctuation'));
  });

  test('an unresolved mention is flagged wherever it appears', () => {
    assert.ok(codes(story({ title: 'Send the proposal', notes: 'Owner: @user' })).includes('unresolved-mention'));
    assert.ok(!codes(story({ title: 'Send the proposal', notes: 'Owner: @Dana Whitfield, mail dana@user.example' })).includes('unresolved-mention'));
  });

  test('an epic named after a template heading is flagged', () => {
    const epic = (title: string) => EpicSchema.parse({ id: 'E1', title });
    assert.deepEqual(lintEpic(epic('Requirements (mandatory)')).map((f) => f.code), ['epic-template-heading']);
    assert.deepEqual(lintEpic(epic('User Scenarios & Testing')).map((f) => f.code), ['epic-template-heading']);
    assert.deepEqual(lintEpic(epic('Configure Team Branch Template')), []);
  });
});

