// Page parsing on a worker thread, so a large or hostile page (up to 5 MB) never pauses the event
// loop that serves both listeners: health checks, job status and the admin screens keep answering
// while it is parsed, and while its document comes back (a slice at a time, see parseThread.ts).
// Pages queue in order on one worker (core/threads/workerClient.ts: started on first use, ended
// after a minute idle). A worker that dies (out of memory on a hostile page) fails only the pages
// it held and is replaced on the next parse. Where no worker can be started (a bundle without the
// thread's module), pages are parsed on the calling thread, as before, and that is logged once.

import type { ResourceLimits, Worker } from 'node:worker_threads';
import type { Logger } from '../jobs/runner.ts';
import { WorkerClient } from '../threads/workerClient.ts';
import { parseSpec } from './index.ts';
import { SpecInputError, type SpecDocument } from './types.ts';
import type { ParseAck, ParseReply, ParseRequest } from './parseThread.ts';

/**
 * The parser thread's young generation, in MB (V8's default is about 16 per semi-space). A page's
 * pending and finished blocks all live until the page is done, and with a small young generation
 * each collection copies them again: a page of 100,000 list items parsed 1.4–1.7× faster with 96 MB
 * (CPU per MB 192–226 → 127–132 on the 2-core test machine), an ordinary page about the same
 * (bench/parse.bench.ts prints both). It is a ceiling, not a reservation: the thread only grows its
 * young generation while a page keeps most of what it allocates.
 */
export const PARSE_THREAD_LIMITS: ResourceLimits = Object.freeze({ maxYoungGenerationSizeMb: 96 });

interface Pending {
  snapshot: { title: string; body: string };
  /** The document's pieces as they arrive. */
  sections: SpecDocument['sections'];
  blocks: SpecDocument['blocks'];
  resolve: (doc: SpecDocument) => void;
  reject: (err: Error) => void;
}

export class PageParserThread {
  private readonly client: WorkerClient<Pending, ParseReply>;

  constructor(log?: Logger) {
    this.client = new WorkerClient<Pending, ParseReply>({
      beside: import.meta.url,
      module: 'parseThread',
      threadName: 'spec2tickets page parser',
      resourceLimits: PARSE_THREAD_LIMITS,
      label: 'the page parser thread',
      fallbackMessage: 'pages are parsed on the main thread: the parser thread could not start',
      onReply: (reply, p, worker) => answer(reply, p, worker),
      runHere: (p) => {
        try {
          p.resolve(parseHere(p.snapshot));
        } catch (e) {
          p.reject(e as Error);
        }
      },
      fail: (p, reason) => p.reject(new Error(`The page could not be parsed: ${reason}.`)),
      exitReason: (code) => `the page parser thread stopped (exit code ${code}); the page may be too large or too deeply nested to read`,
      ...(log ? { log } : {}),
    });
  }

  parse(snapshot: { title: string; body: string }): Promise<SpecDocument> {
    return new Promise<SpecDocument>((resolve, reject) => {
      const sent = this.client.enqueue({ snapshot, sections: [], blocks: [], resolve, reject });
      if (!sent) {
        void Promise.resolve().then(() => resolve(parseHere(snapshot))).catch(reject);
        return;
      }
      sent.worker.postMessage({ id: sent.id, title: snapshot.title, body: snapshot.body } satisfies ParseRequest);
    });
  }

  /** The parser thread's heap limits as the runtime reports them (undefined while it is not running). */
  threadLimits(): ResourceLimits | undefined {
    return this.client.threadLimits();
  }

  /** Ends the worker; pages still queued fail with a message saying so. */
  close(): Promise<void> {
    return this.client.close();
  }
}

/** Takes one reply of the parser thread; true once the page's document is complete (or refused). */
function answer(reply: ParseReply, p: Pending, worker: Worker): boolean {
  if (reply.ok && reply.part !== 'done') {
    if (reply.part === 'sections') for (const s of reply.sections) p.sections.push(s);
    else for (const b of reply.blocks) p.blocks.push(b);
    // Ask for the next slice once the event loop has had a turn.
    setImmediate(() => worker.postMessage({ id: reply.id, ack: true } satisfies ParseAck));
    return false;
  }
  if (reply.ok) {
    // In the parser's own key order (a stored document reads the same whichever thread parsed it).
    const { title, format, language, warnings } = reply.doc;
    p.resolve({ title, format, language, sections: p.sections, blocks: p.blocks, warnings });
  } else p.reject(reply.error.input ? new SpecInputError(reply.error.code, reply.error.message) : new Error(reply.error.message));
  return true;
}

function parseHere(snapshot: { title: string; body: string }): SpecDocument {
  return parseSpec(snapshot.body, { format: 'storage', title: snapshot.title });
}

export { workerBootstrap } from '../threads/workerClient.ts';
