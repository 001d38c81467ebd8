// One observable ModelStatus: the current value plus listeners (tray, renderer over SSE, logs).
// Listener errors are contained so a broken subscriber cannot stop status updates for the others.

import type { ModelStatus } from './types.ts';

export class StatusHub {
  private current: ModelStatus;
  private readonly listeners = new Set<(s: ModelStatus) => void>();

  constructor(initial: ModelStatus) {
    this.current = initial;
  }

  get(): ModelStatus {
    return this.current;
  }

  set(next: ModelStatus): void {
    this.current = next;
    for (const l of this.listeners) {
      try {
        l(next);
      } catch {
        // A subscriber's failure is its own; the status itself is already updated.
      }
    }
  }

  subscribe(listener: (s: ModelStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
