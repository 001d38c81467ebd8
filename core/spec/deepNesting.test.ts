// Parsing time grows with the page, not with how deeply it nests: hostile pages that never close
// their elements (100,000 levels) cost about what the same elements cost when closed.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from './index.ts';

const REPEATS = 40_000;
// Linear parsing keeps deep pages within ~3× of their flat twins on a quiet machine; the bound is
// loose for a busy one, while a reader that walks its stacks per element is far above it.
const MAX_RATIO = 6;

function msPerMb(page: string): number {
  parseSpec(page, { format: 'storage' });
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    parseSpec(page, { format: 'storage' });
    best = Math.min(best, performance.now() - started);
  }
  return best / (page.length / (1024 * 1024));
}

describe('parsing cost under deep nesting', () => {
  const cases: [string, string, string][] = [
    ['nested lists (<ul><li>a)', '<ul><li>a', '<ul><li>a</li></ul>'],
    ['links around paragraphs (<a><p>x)', '<a><p>x', '<a><p>x</p></a>'],
    ['sections around inline text (<div><span>x)', '<div><span>x', '<div><span>x</span></div>'],
    ['macro parameters inside panels', '<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">t<p>x', '<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">t</ac:parameter><p>x</p></ac:structured-macro>'],
  ];
  for (const [label, open, closed] of cases) {
    test(`${label} × ${REPEATS.toLocaleString('en')} unclosed parses within ${MAX_RATIO}× the time per MB of the closed page`, () => {
      // A first paragraph, so that pages whose nested text all lands in macro parameters still have text.
      const deep = `<p>Intro.</p>${open.repeat(REPEATS)}`;
      const flat = `<p>Intro.</p>${closed.repeat(Math.ceil(deep.length / closed.length))}`;
      const flatCost = msPerMb(flat);
      const deepCost = msPerMb(deep);
      assert.ok(
        deepCost <= flatCost * MAX_RATIO,
        `deep page ${deepCost.toFixed(0)} ms/MB against flat ${flatCost.toFixed(0)} ms/MB (${(deepCost / flatCost).toFixed(1)}×)`,
      );
    });
  }

  test('a paragraph followed by thousands of lists reads only the tail of the paragraph for a lead-in', () => {
    const page = `<p>${'word '.repeat(200_000)}</p>${'<ul></ul>'.repeat(20_000)}<p>Acceptance criteria:</p><ul><li>Paid within 2 s</li></ul>`;
    const flat = `<p>${'word '.repeat(200_000)}</p>${'<p>x</p>'.repeat(22_500)}<p>Acceptance criteria:</p><ul><li>Paid within 2 s</li></ul>`;
    const deepCost = msPerMb(page);
    const flatCost = msPerMb(flat);
    assert.ok(deepCost <= flatCost * MAX_RATIO, `${deepCost.toFixed(0)} ms/MB against ${flatCost.toFixed(0)} ms/MB`);
    const doc = parseSpec(page, { format: 'storage' });
    const criterion = doc.blocks.find((b) => b.text === 'Paid within 2 s');
    assert.ok(criterion?.tags.includes('acceptanceCriteria'), `tags: ${criterion?.tags.join(', ')}`);
  });
});
