// One long-lived worker thread and the requests waiting on it: what the page parser's and the
// drafter's threads share. The worker is started on first use, keeps the process alive only while
// requests wait, and ends after a minute idle. A worker that never got going (its module could not
// load, as in a bundle without the thread's file) switches the client to the calling thread for good,
// queued requests included, and that is logged once; a worker that dies later fails only the
// requests it held and is replaced on the next one.

import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from '../jobs/runner.ts';

const IDLE_MS = 60_000;

export interface WorkerClientOptions<P, R extends { id: number }> {
  /** `import.meta.url` of the module the thread's file sits beside, and that file's name without extension. */
  beside: string;
  module: string;
  /** The thread's name (seen in debuggers and heap snapshots). */
  threadName: string;
  /** The thread as log lines name it ("the page parser thread"). */
  label: string;
  /** Logged once when work moves to the calling thread. */
  fallbackMessage: string;
  /** Handles one reply; true when it finished its request (which is then forgotten). */
  onReply(reply: R, pending: P, worker: Worker): boolean;
  /** Does a queued request on the calling thread (the worker could not start). */
  runHere(pending: P): void;
  /** Fails a request the worker can no longer answer (it stopped, or the client closes). */
  fail(pending: P, reason: string): void;
  /** Why the requests a stopped worker held failed. */
  exitReason(code: number): string;
  log?: Logger;
  /** Never start a worker: everything runs on the calling thread (for comparisons and tests). */
  sameThread?: boolean;
  /** The thread's heap limits (see the parser thread's young generation). */
  resourceLimits?: ResourceLimits;
}

export class WorkerClient<P, R extends { id: number }> {
  readonly pending = new Map<number, P>();
  private worker: Worker | undefined;
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;
  private unavailable: boolean;
  /** Whether the current worker has answered once (its module loaded). */
  private answered = false;
  private log: Logger | undefined;

  constructor(private readonly o: WorkerClientOptions<P, R>) {
    this.log = o.log;
    this.unavailable = o.sameThread === true;
  }

  /** Where the fallback to the calling thread is reported, when the client was made before the log existed. */
  useLog(log: Logger): void {
    this.log ??= log;
  }

  /**
   * Registers a request and returns the worker to send it to with its id, or undefined when it must
   * be done on the calling thread.
   */
  enqueue(pending: P): { worker: Worker; id: number } | undefined {
    const worker = this.unavailable ? undefined : this.start();
    if (!worker) return undefined;
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    worker.ref();
    const id = this.nextId++;
    this.pending.set(id, pending);
    return { worker, id };
  }

  /** Forgets a request that ended outside a reply (it could not be sent). */
  forget(id: number): void {
    this.pending.delete(id);
    this.idleIfDone();
  }

  /** The running thread's heap limits as the runtime reports them; undefined while no thread runs. */
  threadLimits(): ResourceLimits | undefined {
    return this.worker?.resourceLimits;
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

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    let worker: Worker;
    try {
      worker = new Worker(workerBootstrap(this.o.beside, this.o.module), { eval: true, name: this.o.threadName, ...(this.o.resourceLimits ? { resourceLimits: this.o.resourceLimits } : {}) });
    } catch (err) {
      this.fallBack(err);
      return undefined;
    }
    this.worker = worker;
    this.answered = false;
    worker.on('message', (reply: R) => {
      this.answered = true;
      const p = this.pending.get(reply.id);
      if (!p || !this.o.onReply(reply, p, worker)) return;
      this.pending.delete(reply.id);
      this.idleIfDone();
    });
    worker.on('error', (err) => {
      if (this.answered) {
        this.log?.error(`${this.o.label} failed`, { message: err.message });
        return;
      }
      // It never got going (its module could not load): work here from now on, the queued requests too.
      if (this.worker === worker) this.worker = undefined;
      this.fallBack(err);
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        this.o.runHere(p);
      }
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (code !== 0 || this.pending.size > 0) this.failAll(this.o.exitReason(code));
    });
    return worker;
  }

  /** With nothing left to do, the worker no longer keeps the process alive and ends after a minute. */
  private idleIfDone(): void {
    if (this.pending.size > 0 || !this.worker) return;
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

  private failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      this.o.fail(p, reason);
    }
  }

  private fallBack(err: unknown): void {
    if (this.unavailable) return;
    this.unavailable = true;
    this.worker = undefined;
    this.log?.warn(this.o.fallbackMessage, { message: (err as Error)?.message ?? String(err) });
  }
}

/**
 * Code for `new Worker(code, { eval: true })` that loads the module `name` beside `here` (a module
 * URL). From source (TypeScript run through tsx) the thread needs tsx's loader, which workers do not
 * inherit; a built copy (a bundle, .mjs or .js) loads the module built beside it under the same extension.
 */
export function workerBootstrap(here: string, name: string): string {
  const extension = /\.(ts|mjs|js)$/.exec(new URL(here).pathname)?.[1] ?? 'js';
  const entry = new URL(`./${name}.${extension}`, here).href;
  if (extension !== 'ts') return `import(${JSON.stringify(entry)});`;
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
}
