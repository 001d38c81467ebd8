// Drafting on a worker thread, so drafting a large page (thousands of requirements, up to the 5 MB
// page limit) never pauses the event loop that serves both listeners: health checks, job status and
// the admin screens keep answering meanwhile. Used by the drafter engine (no model loaded) and for the
// blocks a model left uncovered. One worker per process (core/threads/workerClient.ts: started on
// first use, ended after a minute idle); requests queue in order. A worker that dies fails only the requests it held, with a
// DraftThreadError, and is replaced on the next request. Where no worker can be started (a bundle
// without the thread's module), drafting runs on the calling thread, as before, and that is logged once.

import type { Worker } from 'node:worker_threads';
import type { Breakdown } from '../breakdown/schema.ts';
import type { Logger } from '../jobs/runner.ts';
import { WorkerClient } from '../threads/workerClient.ts';
import type { SpecDocument } from '../spec/types.ts';
import { draftBreakdown } from './draftBreakdown.ts';
import { draftItemsForBlocks } from './draftItemsForBlocks.ts';
import type { DraftMessage, DraftReply } from './draftThread.ts';

/** Blocks (or sections) copied to the worker per turn of the event loop: about 15 ms of copying each. */
const SLICE = 2000;

type DraftAsk = { op: 'breakdown'; doc: SpecDocument } | { op: 'blocks'; doc: SpecDocument; blockIds: string[]; into: Breakdown };

/** Drafting failed off the main thread: the drafter threw (`drafter_failed`) or its thread stopped (`thread_stopped`). */
export class DraftThreadError extends Error {
  override readonly name = 'DraftThreadError';
  constructor(
    readonly code: 'drafter_failed' | 'thread_stopped',
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  ask: DraftAsk;
  resolve: (breakdown: Breakdown) => void;
  reject: (err: Error) => void;
}

export interface DrafterThreadOptions {
  log?: Logger;
  /** Draft on the calling thread (what happens when no worker can start); for comparisons and tests. */
  sameThread?: boolean;
}

export class DrafterThread {
  private readonly client: WorkerClient<Pending, DraftReply>;

  constructor(options: DrafterThreadOptions = {}) {
    this.client = new WorkerClient<Pending, DraftReply>({
      beside: import.meta.url,
      module: 'draftThread',
      threadName: 'spec2tickets drafter',
      label: 'the drafter thread',
      fallbackMessage: 'breakdowns are drafted on the main thread: the drafter thread could not start',
      onReply: (reply, p) => {
        if (reply.ok) p.resolve(reply.breakdown);
        else p.reject(new DraftThreadError('drafter_failed', `The breakdown could not be drafted: ${reply.error.message}`));
        return true;
      },
      runHere: (p) => {
        try {
          p.resolve(draftHere(p.ask));
        } catch (e) {
          p.reject(e as Error);
        }
      },
      fail: (p, reason) => p.reject(new DraftThreadError('thread_stopped', `The breakdown could not be drafted: ${reason}.`)),
      exitReason: (code) => `the drafter thread stopped (exit code ${code}); the page may be too large to draft`,
      ...(options.log ? { log: options.log } : {}),
      ...(options.sameThread ? { sameThread: true } : {}),
    });
  }

  /** Where a fallback to the calling thread is reported (the backend's log, once it exists). */
  useLog(log: Logger): void {
    this.client.useLog(log);
  }

  /** A breakdown of the whole page from its structure (the drafter engine). */
  draftBreakdown(doc: SpecDocument): Promise<Breakdown> {
    return this.ask({ op: 'breakdown', doc });
  }

  /** A copy of `into` with drafted stories for the given blocks (what a model left uncovered). */
  draftItemsForBlocks(doc: SpecDocument, blockIds: string[], into: Breakdown): Promise<Breakdown> {
    return this.ask({ op: 'blocks', doc, blockIds, into });
  }

  /** Ends the worker; requests still queued fail with a message saying so. */
  close(): Promise<void> {
    return this.client.close();
  }

  private ask(ask: DraftAsk): Promise<Breakdown> {
    return new Promise<Breakdown>((resolve, reject) => {
      const sent = this.client.enqueue({ ask, resolve, reject });
      if (!sent) {
        void Promise.resolve().then(() => resolve(draftHere(ask))).catch(reject);
        return;
      }
      this.send(sent.worker, sent.id, ask).catch((err: unknown) => {
        // A document that cannot be copied (never one the parser made): fail this request alone.
        const p = this.client.pending.get(sent.id);
        this.client.forget(sent.id);
        p?.reject(new DraftThreadError('drafter_failed', `The breakdown could not be drafted: the page could not be sent to the drafter thread (${(err as Error)?.message ?? String(err)}).`));
      });
    });
  }

  /** Copies the document to the worker a slice at a time, yielding to the event loop between slices. */
  private async send(worker: Worker, id: number, ask: DraftAsk): Promise<void> {
    const { sections, blocks, ...rest } = ask.doc;
    const waiting = () => this.client.pending.has(id);
    for (let i = 0; i < sections.length; i += SLICE) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      if (!waiting()) return;
      worker.postMessage({ id, part: 'sections', sections: sections.slice(i, i + SLICE) } satisfies DraftMessage);
    }
    for (let i = 0; i < blocks.length; i += SLICE) {
      await new Promise((r) => setImmediate(r));
      if (!waiting()) return;
      worker.postMessage({ id, part: 'blocks', blocks: blocks.slice(i, i + SLICE) } satisfies DraftMessage);
    }
    if (!waiting()) return;
    const request: DraftMessage =
      ask.op === 'breakdown'
        ? { id, part: 'request', doc: rest, op: 'breakdown' }
        : { id, part: 'request', doc: rest, op: 'blocks', blockIds: ask.blockIds, into: ask.into };
    worker.postMessage(request);
  }
}

function draftHere(ask: DraftAsk): Breakdown {
  return ask.op === 'breakdown' ? draftBreakdown(ask.doc) : draftItemsForBlocks(ask.doc, ask.blockIds, ask.into);
}

let shared: DrafterThread | undefined;

/**
 * The process's drafter thread, shared by every engine and pipeline (one worker however many engines
 * are made). An idle worker does not keep the process alive.
 */
export function sharedDrafterThread(): DrafterThread {
  return (shared ??= new DrafterThread());
}
