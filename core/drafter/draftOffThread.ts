// Drafting on a worker thread, so drafting a large page (thousands of requirements, up to the 5 MB
// page limit) never pauses the event loop that serves both listeners: health checks, job status and
// the admin screens keep answering meanwhile. Used by the drafter engine (no model loaded) and for the
// blocks a model left uncovered. One worker per process, started on first use and ended after a
// minute idle; requests queue in order. A worker that dies fails only the requests it held, with a
// DraftThreadError, and is replaced on the next request. Where no worker can be started (a bundle
// without the thread's module), drafting runs on the calling thread, as before, and that is logged once.

import { Worker } from 'node:worker_threads';
import type { Breakdown } from '../breakdown/schema.ts';
import type { Logger } from '../jobs/runner.ts';
import { workerBootstrap } from '../spec/parseOffThread.ts';
import type { SpecDocument } from '../spec/types.ts';
import { draftBreakdown } from './draftBreakdown.ts';
import { draftItemsForBlocks } from './draftItemsForBlocks.ts';
import type { DraftMessage, DraftReply } from './draftThread.ts';

const IDLE_MS = 60_000;
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
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;
  private unavailable: boolean;
  /** Whether the current worker has answered once (its module loaded). */
  private answered = false;
  private log: Logger | undefined;

  constructor(options: DrafterThreadOptions = {}) {
    this.log = options.log;
    this.unavailable = options.sameThread === true;
  }

  /** Where a fallback to the calling thread is reported (the backend's log, once it exists). */
  useLog(log: Logger): void {
    this.log ??= log;
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
  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll('the backend is stopping');
    await worker?.terminate();
  }

  private ask(ask: DraftAsk): Promise<Breakdown> {
    const worker = this.unavailable ? undefined : this.start();
    if (!worker) return Promise.resolve().then(() => draftHere(ask));
    const id = this.nextId++;
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    worker.ref();
    return new Promise<Breakdown>((resolve, reject) => {
      this.pending.set(id, { ask, resolve, reject });
      this.send(worker, id, ask).catch((err: unknown) => {
        // A document that cannot be copied (never one the parser made): fail this request alone.
        const p = this.pending.get(id);
        this.pending.delete(id);
        p?.reject(new DraftThreadError('drafter_failed', `The breakdown could not be drafted: the page could not be sent to the drafter thread (${(err as Error)?.message ?? String(err)}).`));
        this.idleIfDone();
      });
    });
  }

  /** Copies the document to the worker a slice at a time, yielding to the event loop between slices. */
  private async send(worker: Worker, id: number, ask: DraftAsk): Promise<void> {
    const { sections, blocks, ...rest } = ask.doc;
    for (let i = 0; i < sections.length; i += SLICE) {
      if (i > 0) await new Promise((r) => setImmediate(r));
      if (!this.pending.has(id)) return;
      worker.postMessage({ id, part: 'sections', sections: sections.slice(i, i + SLICE) } satisfies DraftMessage);
    }
    for (let i = 0; i < blocks.length; i += SLICE) {
      await new Promise((r) => setImmediate(r));
      if (!this.pending.has(id)) return;
      worker.postMessage({ id, part: 'blocks', blocks: blocks.slice(i, i + SLICE) } satisfies DraftMessage);
    }
    if (!this.pending.has(id)) return;
    const request: DraftMessage =
      ask.op === 'breakdown'
        ? { id, part: 'request', doc: rest, op: 'breakdown' }
        : { id, part: 'request', doc: rest, op: 'blocks', blockIds: ask.blockIds, into: ask.into };
    worker.postMessage(request);
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    let worker: Worker;
    try {
      worker = new Worker(workerBootstrap(import.meta.url, 'draftThread'), { eval: true, name: 'spec2tickets drafter' });
    } catch (err) {
      this.fallBack(err);
      return undefined;
    }
    this.worker = worker;
    this.answered = false;
    worker.on('message', (reply: DraftReply) => {
      this.answered = true;
      this.answer(reply);
    });
    worker.on('error', (err) => {
      if (this.answered) {
        this.log?.error('the drafter thread failed', { message: err.message });
        return;
      }
      // It never got going (its module could not load): draft here from now on, the queued requests too.
      if (this.worker === worker) this.worker = undefined;
      this.fallBack(err);
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        try {
          p.resolve(draftHere(p.ask));
        } catch (e) {
          p.reject(e as Error);
        }
      }
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (code !== 0 || this.pending.size > 0) this.failAll(`the drafter thread stopped (exit code ${code}); the page may be too large to draft`);
    });
    return worker;
  }

  private answer(reply: DraftReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.breakdown);
    else p.reject(new DraftThreadError('drafter_failed', `The breakdown could not be drafted: ${reply.error.message}`));
    this.idleIfDone();
  }

  /** With nothing left to draft, the worker no longer keeps the process alive and ends after a minute. */
  private idleIfDone(): void {
    if (this.pending.size === 0 && this.worker) {
      const worker = this.worker;
      worker.unref();
      this.idle = setTimeout(() => {
        if (this.worker === worker && this.pending.size === 0) {
          this.worker = undefined;
          void worker.terminate();
        }
      }, IDLE_MS);
      this.idle.unref();
    }
  }

  private failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new DraftThreadError('thread_stopped', `The breakdown could not be drafted: ${reason}.`));
    }
  }

  private fallBack(err: unknown): void {
    if (this.unavailable) return;
    this.unavailable = true;
    this.worker = undefined;
    this.log?.warn('breakdowns are drafted on the main thread: the drafter thread could not start', { message: (err as Error)?.message ?? String(err) });
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
