import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBreakdown } from './schema.ts';
import { checkBreakdown } from './checkBreakdown.ts';
import { renderBreakdownMarkdown, renderReportText } from './render.ts';
import { buildSpec, h, p } from './fixtures/specDocument.ts';

const doc = buildSpec('Refunds', [h(1, 'Refunds'), p('FR-1 The system must refund card payments.'), p('FR-2 The system must refund vouchers.')]);

const breakdown = () =>
  parseBreakdown({
    title: 'Refunds',
    generator: { kind: 'model', model: 'qwen', note: 'Generated.' },
    epics: [
      {
        id: 'E1',
        title: 'Refunds',
        stories: [
          {
            id: 'S1.1',
            title: 'Refund a card payment',
            estimate: 3,
            acceptanceCriteria: ['The card is credited with the paid amount.'],
            sources: ['blk-0'],
            subtasks: [{ id: 'T1.1.1', title: 'Call the card processor refund endpoint', sources: [] }],
          },
          { id: 'S1.2', title: 'Refund a voucher', estimate: 2, acceptanceCriteria: ['The voucher balance is restored.'], sources: ['blk-1'] },
        ],
      },
    ],
  });

describe('checkBreakdown', () => {
  test('a complete, clean breakdown is ok with full coverage and counts per level', () => {
    const r = checkBreakdown(doc, breakdown());
    assert.equal(r.ok, true);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.counts, { epics: 1, stories: 2, subtasks: 1 });
    assert.equal(r.coverage.ratio, 1);
  });

  test('errors make the report not ok and come before warnings', () => {
    const b = breakdown();
    b.epics[0]!.stories[1]!.sources = [];
    b.epics[0]!.stories[1]!.dependsOn = ['S1.2'];
    const r = checkBreakdown(doc, b);
    assert.equal(r.ok, false);
    assert.deepEqual(r.findings.map((f) => [f.severity, f.code]), [
      ['error', 'self-dependency'],
      ['warning', 'uncovered-requirement'],
    ]);
    assert.deepEqual(r.coverage.uncovered, ['blk-1']);
  });

  test('the text report states counts, coverage and every finding', () => {
    const b = breakdown();
    b.epics[0]!.stories[1]!.sources = [];
    const text = renderReportText(checkBreakdown(doc, b));
    assert.match(text, /Items: 1 epics, 2 stories, 1 sub-tasks/);
    assert.match(text, /Coverage: 1 of 2 requirement blocks cited \(50\.0%\)/);
    assert.match(text, /WARNING uncovered-requirement: No item covers the requirement "FR-2 The system must refund vouchers\."/);
  });

  test('the Markdown rendering lists epics, stories, criteria, sub-tasks and findings', () => {
    const b = breakdown();
    b.epics[0]!.stories[1]!.title = 'Refund a voucher [draft]';
    const mdText = renderBreakdownMarkdown(b, checkBreakdown(doc, b));
    assert.match(mdText, /^# Refunds$/m);
    assert.match(mdText, /^## E1 Refunds$/m);
    assert.match(mdText, /^### S1\.1 Refund a card payment$/m);
    assert.match(mdText, /^- \[ \] The card is credited with the paid amount\.$/m);
    assert.match(mdText, /^- T1\.1\.1 Call the card processor refund endpoint$/m);
    assert.match(mdText, /^### S1\.2 Refund a voucher \\\[draft\\\]$/m, 'Markdown characters in titles are escaped');
    assert.match(mdText, /^\| warning \| title-not-minimal \| S1\.2 \|/m);
  });
});
