// Server-Sent Events for the admin listener: job, model and background-task status pushed to the renderer as they
// change, with a heartbeat comment so proxies and browsers keep the stream open.

import type { Request, Response } from 'express';

export interface ServerEvent {
  type: 'job' | 'model' | 'background';
  data: unknown;
}

export class EventHub {
  private readonly listeners = new Set<(e: ServerEvent) => void>();
  private nextId = 1;

  publish(event: ServerEvent): void {
    for (const l of this.listeners) l(event);
  }

  subscribe(listener: (e: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Streams events to one client until it disconnects. `initial` events are sent first (current state). */
  stream(req: Request, res: Response, initial: ServerEvent[], heartbeatMs = 15_000): void {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 3000\n\n');
    const send = (e: ServerEvent) => {
      res.write(`id: ${this.nextId++}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    };
    for (const e of initial) send(e);
    const unsubscribe = this.subscribe(send);
    const heartbeat = setInterval(() => res.write(`: heartbeat ${new Date().toISOString()}\n\n`), heartbeatMs);
    heartbeat.unref();
    req.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  }
}
