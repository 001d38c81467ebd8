// The drafter thread answers exactly what drafting on the calling thread answers, for a whole page
// and for gap filling, and a drafter failure comes back as a DraftThreadError the caller can act on.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadCorpusPage } from '../../test/corpus/index.ts';
import { parseSpec } from '../spec/index.ts';
import type { SpecDocument } from '../spec/types.ts';
import { draftBreakdown } from './draftBreakdown.ts';
import { draftItemsForBlocks } from './draftItemsForBlocks.ts';
import { DraftThreadError, DrafterThread } from './draftOffThread.ts';

const drafts = new DrafterThread();
after(() => drafts.close());

function corpusDoc(name: string): SpecDocument {
  const { page, content } = loadCorpusPage(name);
  return parseSpec(content, { format: page.format });
}

test('a page drafted on the drafter thread equals the same page drafted here', async () => {
  for (const name of ['prd-checkout', 'lastenheft-zahlungen']) {
    const doc = corpusDoc(name);
    assert.deepEqual(await drafts.draftBreakdown(doc), draftBreakdown(doc), name);
  }
});

test('a large document arrives whole (its blocks cross in slices)', async () => {
  const items = Array.from({ length: 5000 }, (_, i) => `<li>The service must keep record ${i} for ${i % 13} days.</li>`).join('');
  const doc = parseSpec(`<h2>Records</h2><ul>${items}</ul>`);
  assert.ok(doc.blocks.length > 4000, `${doc.blocks.length} blocks`);
  assert.deepEqual(await drafts.draftBreakdown(doc), draftBreakdown(doc));
});

test('gap filling on the drafter thread equals gap filling here', async () => {
  const doc = corpusDoc('prd-checkout');
  const empty = { ...draftBreakdown(doc), epics: [] };
  const wanted = doc.blocks.filter((b) => b.tags.length > 0).slice(0, 5).map((b) => b.id);
  assert.equal(wanted.length, 5);
  assert.deepEqual(await drafts.draftItemsForBlocks(doc, wanted, empty), draftItemsForBlocks(doc, wanted, empty));
});

test('a drafter failure comes back as a DraftThreadError with its message, and the thread keeps working', async () => {
  const doc = corpusDoc('prd-checkout');
  const broken = { ...doc, sections: doc.sections.map((s) => ({ ...s, headingPath: undefined })) } as unknown as SpecDocument;
  await assert.rejects(drafts.draftBreakdown(broken), (err: unknown) => {
    assert.ok(err instanceof DraftThreadError, String(err));
    assert.equal(err.code, 'drafter_failed');
    assert.match(err.message, /^The breakdown could not be drafted: \S/);
    return true;
  });
  assert.deepEqual(await drafts.draftBreakdown(doc), draftBreakdown(doc));
});

test('closing the thread fails what it still holds with a message saying so', async () => {
  const own = new DrafterThread();
  const refused = assert.rejects(own.draftBreakdown(corpusDoc('prd-checkout')), (err: unknown) => err instanceof DraftThreadError && err.code === 'thread_stopped' && /the backend is stopping/.test(err.message));
  await own.close();
  await refused;
});
