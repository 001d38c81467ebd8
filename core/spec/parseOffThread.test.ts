// The page parser thread answers exactly what parsing here answers (key order included), for a page
// whose document crosses back in many slices, and refuses a page as parseSpec does.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from './index.ts';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { PARSE_THREAD_LIMITS, PageParserThread, workerBootstrap } from './parseOffThread.ts';
import { PARSE_SLICE, type ParseReply } from './parseThread.ts';
import { SpecInputError } from './types.ts';

const parser = new PageParserThread();
after(() => parser.close());

test('a page of many blocks comes back from the parser thread as parsed here, slice by slice', async () => {
  const items = Array.from({ length: 3 * PARSE_SLICE + 7 }, (_, i) => `<li>The service must keep record ${i} for ${i % 13} days.</li>`).join('');
  const headings = Array.from({ length: PARSE_SLICE + 3 }, (_, i) => `<h3>Topic ${i}</h3><p>Note ${i}.</p>`).join('');
  const body = `<h1>Records</h1><ul>${items}</ul>${headings}`;
  const here = parseSpec(body, { format: 'storage', title: 'Records' });
  assert.ok(here.blocks.length > 3 * PARSE_SLICE && here.sections.length > PARSE_SLICE);
  const there = await parser.parse({ title: 'Records', body });
  assert.equal(JSON.stringify(there), JSON.stringify(here));
  // Two pages asked at once each get their own document.
  const [a, b] = await Promise.all([parser.parse({ title: 'A', body: '<p>The first page must load.</p>' }), parser.parse({ title: 'B', body })]);
  assert.equal(a.blocks.length, 1);
  assert.equal(JSON.stringify(b), JSON.stringify(parseSpec(body, { format: 'storage', title: 'B' })));
});

test('the parser thread runs with the larger young generation it is given', async () => {
  await parser.parse({ title: 'Limits', body: '<p>The page must be read.</p>' });
  assert.equal(parser.threadLimits()?.maxYoungGenerationSizeMb, PARSE_THREAD_LIMITS.maxYoungGenerationSizeMb);
  assert.ok(PARSE_THREAD_LIMITS.maxYoungGenerationSizeMb! >= 64);
});

test('a page the parser refuses is refused from the thread with the same SpecInputError', async () => {
  await assert.rejects(parser.parse({ title: 'Empty', body: '<p>   </p>' }), (err: unknown) => {
    assert.ok(err instanceof SpecInputError, String(err));
    assert.equal(err.code, 'empty');
    return true;
  });
});

test('the parser thread sends the next slice of a document only once the main thread has taken the last', async () => {
  const worker = new Worker(workerBootstrap(new URL('./parseOffThread.ts', import.meta.url).href, 'parseThread'), { eval: true });
  try {
    const replies: ParseReply[] = [];
    worker.on('message', (r: ParseReply) => replies.push(r));
    const items = Array.from({ length: 2 * PARSE_SLICE + 1 }, (_, i) => `<li>Item ${i} must be kept.</li>`).join('');
    worker.postMessage({ id: 7, title: 'Items', body: `<ul>${items}</ul>` });
    const waitFor = async (n: number) => {
      for (let i = 0; i < 600 && replies.length < n; i++) await sleep(50);
      assert.ok(replies.length >= n, `${replies.length} replies, expected ${n}`);
    };
    await waitFor(1);
    await sleep(300);
    // One section (the page's root), then the blocks in three slices, then the rest: one at a time.
    assert.deepEqual(replies.map((r) => (r.ok ? r.part : 'error')), ['sections']);
    for (const expected of [['blocks', PARSE_SLICE], ['blocks', PARSE_SLICE], ['blocks', 1]] as const) {
      const seen = replies.length;
      worker.postMessage({ id: 7, ack: true });
      await waitFor(seen + 1);
      await sleep(100);
      assert.equal(replies.length, seen + 1, 'no slice before the last was taken');
      const r = replies[seen]!;
      assert.ok(r.ok && r.part === expected[0] && r.blocks.length === expected[1], JSON.stringify(r).slice(0, 200));
    }
    worker.postMessage({ id: 7, ack: true });
    await waitFor(replies.length + 1);
    const last = replies[replies.length - 1]!;
    assert.ok(last.ok && last.part === 'done' && last.doc.title === 'Items');
  } finally {
    await worker.terminate();
  }
});
