// The worker side of parseOffThread.ts: parses Confluence storage pages sent by the main thread and
// answers with the document, or with the SpecInputError (code and message) that refused the page.
// A document comes back in pieces (its sections and blocks a slice at a time, each sent once the main
// thread has taken the one before, then the rest), so that taking in a 5 MB page's document never
// holds the main thread's event loop for more than one slice.

import { parentPort } from 'node:worker_threads';
import { parseSpec } from './index.ts';
import { SpecInputError, type SpecDocument } from './types.ts';

export interface ParseRequest {
  id: number;
  title: string;
  body: string;
}

/** The main thread has taken a slice of page `id`'s document: send the next. */
export interface ParseAck {
  id: number;
  ack: true;
}

/** Sections or blocks per slice: about 15 ms for the main thread to take in. */
export const PARSE_SLICE = 2000;

export type ParseReply =
  | { id: number; ok: true; part: 'sections'; sections: SpecDocument['sections'] }
  | { id: number; ok: true; part: 'blocks'; blocks: SpecDocument['blocks'] }
  | { id: number; ok: true; part: 'done'; doc: Omit<SpecDocument, 'sections' | 'blocks'> }
  | { id: number; ok: false; error: { input: true; code: SpecInputError['code']; message: string } | { input: false; message: string } };

const acks = new Map<number, () => void>();
let queue: Promise<void> = Promise.resolve();

parentPort?.on('message', (msg: ParseRequest | ParseAck) => {
  if ('ack' in msg) {
    const next = acks.get(msg.id);
    acks.delete(msg.id);
    next?.();
    return;
  }
  // One page at a time, in the order asked.
  queue = queue.then(() => answer(msg));
});

async function answer(req: ParseRequest): Promise<void> {
  const port = parentPort!;
  let doc: SpecDocument;
  try {
    doc = parseSpec(req.body, { format: 'storage', title: req.title });
  } catch (err) {
    port.postMessage({
      id: req.id,
      ok: false,
      error: err instanceof SpecInputError ? { input: true, code: err.code, message: err.message } : { input: false, message: (err as Error)?.message ?? String(err) },
    } satisfies ParseReply);
    return;
  }
  const { sections, blocks, ...rest } = doc;
  const sent = (reply: ParseReply) =>
    new Promise<void>((resolve) => {
      acks.set(req.id, resolve);
      port.postMessage(reply);
    });
  for (let i = 0; i < sections.length; i += PARSE_SLICE) await sent({ id: req.id, ok: true, part: 'sections', sections: sections.slice(i, i + PARSE_SLICE) });
  for (let i = 0; i < blocks.length; i += PARSE_SLICE) await sent({ id: req.id, ok: true, part: 'blocks', blocks: blocks.slice(i, i + PARSE_SLICE) });
  port.postMessage({ id: req.id, ok: true, part: 'done', doc: rest } satisfies ParseReply);
}
