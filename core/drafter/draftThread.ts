// The worker side of draftOffThread.ts: drafts breakdowns (a whole page, or stories for the blocks a
// model left uncovered) for documents sent by the main thread, and answers with the breakdown or with
// the error (its name and message) that stopped the drafter.

import { parentPort } from 'node:worker_threads';
import type { Breakdown } from '../breakdown/schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import { draftBreakdown } from './draftBreakdown.ts';
import { draftItemsForBlocks } from './draftItemsForBlocks.ts';

/**
 * A document travels in pieces (its sections and blocks a slice at a time, then the request), so that
 * copying a 5 MB page's document to the worker never holds the event loop for more than one slice.
 */
export type DraftMessage =
  | { id: number; part: 'sections'; sections: SpecDocument['sections'] }
  | { id: number; part: 'blocks'; blocks: SpecDocument['blocks'] }
  | ({ id: number; part: 'request'; doc: Omit<SpecDocument, 'sections' | 'blocks'> } & ({ op: 'breakdown' } | { op: 'blocks'; blockIds: string[]; into: Breakdown }));

export type DraftReply = { id: number; ok: true; breakdown: Breakdown } | { id: number; ok: false; error: { name: string; message: string } };

const arriving = new Map<number, { sections: SpecDocument['sections']; blocks: SpecDocument['blocks'] }>();

parentPort?.on('message', (msg: DraftMessage) => {
  let parts = arriving.get(msg.id);
  if (!parts) arriving.set(msg.id, (parts = { sections: [], blocks: [] }));
  if (msg.part === 'sections') {
    for (const s of msg.sections) parts.sections.push(s);
    return;
  }
  if (msg.part === 'blocks') {
    for (const b of msg.blocks) parts.blocks.push(b);
    return;
  }
  arriving.delete(msg.id);
  let reply: DraftReply;
  try {
    const doc: SpecDocument = { ...msg.doc, sections: parts.sections, blocks: parts.blocks };
    const breakdown = msg.op === 'breakdown' ? draftBreakdown(doc) : draftItemsForBlocks(doc, msg.blockIds, msg.into);
    reply = { id: msg.id, ok: true, breakdown };
  } catch (err) {
    reply = { id: msg.id, ok: false, error: { name: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) } };
  }
  parentPort!.postMessage(reply);
});
