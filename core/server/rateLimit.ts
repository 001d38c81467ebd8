// Per-key token bucket for the public listener: a steady rate with a burst allowance. A request
// over the limit gets 429 with Retry-After in whole seconds.

export interface TokenBucketOptions {
  ratePerMinute: number;
  burst: number;
  now?: () => number;
  /** Buckets idle this long are dropped so revoked or one-off keys do not accumulate. */
  idleMs?: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(private readonly o: TokenBucketOptions) {
    this.perMs = o.ratePerMinute / 60_000;
    this.now = o.now ?? Date.now;
  }

  /** Takes one token for `key`; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = this.now();
    this.sweep(now);
    const b = this.buckets.get(key) ?? { tokens: this.o.burst, at: now };
    b.tokens = Math.min(this.o.burst, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  private sweep(now: number): void {
    const idle = this.o.idleMs ?? 600_000;
    if (now - this.lastSweep < idle) return;
    this.lastSweep = now;
    for (const [k, b] of this.buckets) if (now - b.at > idle) this.buckets.delete(k);
  }
}
