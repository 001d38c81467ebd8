import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../spec/index.ts';
import { blockLineage, wordDiff } from './lineage.ts';

const page = (body: string) => parseSpec(body, { format: 'storage', title: 'Payments' });
const V1 = page(
  '<h1>Payments</h1><h2>Refunds</h2>' +
    '<p>FR-1: The shop must refund a cancelled order to the original card within 14 days.</p>' +
    '<p>FR-2: The customer must receive an email when the refund is issued.</p>' +
    '<p>FR-3: The support agent must be able to refund part of an order.</p>' +
    '<p>FR-4: The finance team must see a daily report of all refunds.</p>' +
    '<p>Refunds above the limit must be approved by a manager before they are paid.</p>',
);
const V2 = page(
  '<h1>Payments</h1><h2>Refunds</h2>' +
    '<p>FR-1: The shop must refund a cancelled order to the original card within 14 days.</p>' +
    '<p>FR-2: The customer must receive an email and a text message when the refund is paid.</p>' +
    '<p>FR-5: The customer must be able to follow the refund in the app.</p>' +
    '<p>Refunds above the limit must be approved by a finance manager before they are paid.</p>' +
    '<h2>Reporting</h2><p>FR-4: The finance team must see a daily report of all refunds.</p>',
);

test('lineage tells unchanged, changed (by requirement id and by kept words), moved, new and removed blocks apart', () => {
  const l = blockLineage(V1, V2);
  const status = (re: RegExp) => l.entries.find((e) => re.test(e.oldText ?? e.newText ?? ''))!;
  assert.equal(status(/^FR-1/).status, 'unchanged');
  const fr2 = status(/^FR-2/);
  assert.equal(fr2.status, 'changed');
  assert.equal(fr2.requirementId, 'FR-2');
  assert.notEqual(fr2.oldId, fr2.newId);
  assert.deepEqual(fr2.diff!.filter((p) => p.op !== 'same').map((p) => [p.op, p.text]), [
    ['added', 'and a text message'],
    ['removed', 'issued.'],
    ['added', 'paid.'],
  ]);
  assert.equal(status(/^FR-3/).status, 'removed');
  const fr4 = status(/^FR-4/);
  assert.equal(fr4.status, 'moved');
  assert.deepEqual(fr4.newHeadingPath, ['Payments', 'Reporting']);
  assert.equal(status(/^FR-5/).status, 'new');
  const approval = status(/above the limit/);
  assert.equal(approval.status, 'changed', 'no requirement id: matched by the words it kept');
  assert.ok(approval.similarity! > 0.8);
  assert.deepEqual(l.counts, { unchanged: 1, changed: 2, moved: 1, new: 1, removed: 1 });
});

test('two different requirement ids are never the same block, however alike', () => {
  const a = page('<p>FR-7: The customer must receive an email when the refund is issued.</p>');
  const b = page('<p>FR-8: The customer must receive an email when the refund is issued.</p>');
  const l = blockLineage(a, b);
  assert.deepEqual(l.entries.map((e) => e.status), ['removed', 'new']);
});

test('word diff of identical and empty texts', () => {
  assert.deepEqual(wordDiff('a b c', 'a b c'), [{ op: 'same', text: 'a b c' }]);
  assert.deepEqual(wordDiff('', 'new text'), [{ op: 'added', text: 'new text' }]);
});
