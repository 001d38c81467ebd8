// What every deterministic check returns: findings a reviewer (or a script) can act on, each naming
// the item or page block it is about.

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  severity: Severity;
  /** Stable machine-readable code, e.g. "dependency-cycle", "vague-word". */
  code: string;
  /** Breakdown item the finding is about (E1, S1.2, T1.2.3). */
  itemId?: string;
  /** SpecDocument block the finding is about. */
  blockId?: string;
  /** What is wrong and what to do about it, in one or two sentences. */
  message: string;
}

const order: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Errors first, then warnings, then info; stable within a severity. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => order[a.f.severity] - order[b.f.severity] || a.i - b.i)
    .map((x) => x.f);
}

/** A short, single-line excerpt of text for messages. */
export function snippet(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}
