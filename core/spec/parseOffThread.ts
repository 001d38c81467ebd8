// Page parsing on a worker thread, so a large or hostile page (up to 5 MB) never pauses the event
// loop that serves both listeners: health checks, job status and the admin screens keep answering
// while it is parsed, and while its document comes back (a slice at a time, see parseThread.ts). One worker, started on first use and ended after a minute idle; pages queue
// in order. A worker that dies (out of memory on a hostile page) fails only the pages it held and
// is replaced on the next parse. Where no worker can be started (a bundle without the thread's
// module), pages are parsed on the calling thread, as before, and that is logged once.

import { Worker } from 'node:worker_threads';
import type { Logger } from '../jobs/runner.ts';
import { parseSpec } from './index.ts';
import { SpecInputError, type SpecDocument } from './types.ts';
import type { ParseAck, ParseReply, ParseRequest } from './parseThread.ts';

const IDLE_MS = 60_000;

interface Pending {
  snapshot: { title: string; body: string };
  /** The document's pieces as they arrive. */
  sections: SpecDocument['sections'];
  blocks: SpecDocument['blocks'];
  resolve: (doc: SpecDocument) => void;
  reject: (err: Error) => void;
}

export class PageParserThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;
  private unavailable = false;
  /** Whether the current worker has answered once (its module loaded). */
  private answered = false;

  constructor(private readonly log?: Logger) {}

  parse(snapshot: { title: string; body: string }): Promise<SpecDocument> {
    const worker = this.unavailable ? undefined : this.start();
    if (!worker) return Promise.resolve().then(() => parseHere(snapshot));
    const id = this.nextId++;
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    worker.ref();
    return new Promise<SpecDocument>((resolve, reject) => {
      this.pending.set(id, { snapshot, sections: [], blocks: [], resolve, reject });
      worker.postMessage({ id, title: snapshot.title, body: snapshot.body } satisfies ParseRequest);
    });
  }

  /** Ends the worker; pages still queued fail with a message saying so. */
  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    const worker = this.worker;
    this.worker = undefined;
    this.failAll('the backend is stopping');
    await worker?.terminate();
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker;
    let worker: Worker;
    try {
      worker = new Worker(bootstrap(), { eval: true, name: 'spec2tickets page parser' });
    } catch (err) {
      this.fallBack(err);
      return undefined;
    }
    this.worker = worker;
    this.answered = false;
    worker.on('message', (reply: ParseReply) => {
      this.answered = true;
      this.answer(reply);
    });
    worker.on('error', (err) => {
      if (this.answered) {
        this.log?.error('the page parser thread failed', { message: err.message });
        return;
      }
      // It never got going (its module could not load): parse here from now on, the queued pages too.
      this.fallBack(err);
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        try {
          p.resolve(parseHere(p.snapshot));
        } catch (e) {
          p.reject(e as Error);
        }
      }
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      if (code !== 0 || this.pending.size > 0) this.failAll(`the page parser thread stopped (exit code ${code}); the page may be too large or too deeply nested to read`);
    });
    return worker;
  }

  private answer(reply: ParseReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.ok && reply.part !== 'done') {
      if (reply.part === 'sections') for (const s of reply.sections) p.sections.push(s);
      else for (const b of reply.blocks) p.blocks.push(b);
      // Ask for the next slice once the event loop has had a turn.
      const worker = this.worker;
      setImmediate(() => worker?.postMessage({ id: reply.id, ack: true } satisfies ParseAck));
      return;
    }
    this.pending.delete(reply.id);
    if (reply.ok) {
      // In the parser's own key order (a stored document reads the same whichever thread parsed it).
      const { title, format, language, warnings } = reply.doc;
      p.resolve({ title, format, language, sections: p.sections, blocks: p.blocks, warnings });
    }
    else p.reject(reply.error.input ? new SpecInputError(reply.error.code, reply.error.message) : new Error(reply.error.message));
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
      p.reject(new Error(`The page could not be parsed: ${reason}.`));
    }
  }

  private fallBack(err: unknown): void {
    if (this.unavailable) return;
    this.unavailable = true;
    this.worker = undefined;
    this.log?.warn('pages are parsed on the main thread: the parser thread could not start', { message: (err as Error)?.message ?? String(err) });
  }
}

function parseHere(snapshot: { title: string; body: string }): SpecDocument {
  return parseSpec(snapshot.body, { format: 'storage', title: snapshot.title });
}

/**
 * The worker's entry. From source (TypeScript run through tsx) the thread needs tsx's loader, which
 * workers do not inherit; a built copy (a bundle, .mjs or .js) loads the worker module built beside it
 * under the same extension.
 */
function bootstrap(): string {
  return workerBootstrap(import.meta.url, 'parseThread');
}

/** Code for `new Worker(code, { eval: true })` that loads the module `name` beside `here` (a module URL). */
export function workerBootstrap(here: string, name: string): string {
  const extension = /\.(ts|mjs|js)$/.exec(new URL(here).pathname)?.[1] ?? 'js';
  const entry = new URL(`./${name}.${extension}`, here).href;
  if (extension !== 'ts') return `import(${JSON.stringify(entry)});`;
  const tsx = import.meta.resolve('tsx/esm/api');
  return `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
}
