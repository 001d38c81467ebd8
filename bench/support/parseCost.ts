// What the parse bench's nesting figures measure, shared by the bench's own thread and the thread set
// up as the product's page parser thread (parseCostThread.ts): CPU time per MB of the flat generated
// page and of the shapes hostile pages use, each beside its twin with every element closed at once.

import { parseSpec } from '../../core/spec/index.ts';
import { generateLargePage } from '../../test/corpus/index.ts';

const MB = 1024 * 1024;

/** Label, the nested page, and the same elements closed right away (same elements and blocks, no depth). */
export const NESTING_SHAPES: readonly (readonly [string, string, string])[] = [
  ['5,000-deep nested list', `<ul>${'<li>level<ul>'.repeat(5000)}<li>leaf</li>${'</ul></li>'.repeat(5000)}</ul>`, '<ul><li>level</li></ul>'.repeat(5000)],
  ["'<ul><li>a' × 100,000", '<ul><li>a'.repeat(100_000), '<ul><li>a</li></ul>'.repeat(100_000)],
  ["'<a><p>x' × 100,000", '<a><p>x'.repeat(100_000), '<a><p>x</p></a>'.repeat(100_000)],
  ["'<div><span>x' × 100,000", '<div><span>x'.repeat(100_000), '<div><span>x</span></div>'.repeat(100_000)],
  ["'<table><tr><td>x' × 100,000", '<table><tr><td>x'.repeat(100_000), '<table><tr><td>x</td></tr></table>'.repeat(100_000)],
];

/** CPU time of one parse in ms (this process, all threads: GC included), which a busy machine distorts less than wall-clock. */
function cpuMs(page: string): number {
  const cpu0 = process.cpuUsage();
  parseSpec(page, { format: 'storage' });
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}

export interface NestingCost {
  /** The flat page's best CPU ms per MB over the rounds. */
  flat: number;
  rounds: number;
  shapes: {
    label: string;
    bytes: number;
    /** Best CPU ms per MB over the rounds, nested and closed. */
    nested: number;
    closed: number;
    /** Median over the rounds of each round's nested/flat and nested/closed ratio of CPU per MB. */
    nestedToFlat: number;
    nestedToClosed: number;
  }[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * CPU ms per MB of each page over `rounds` rounds; each round parses every page twice in a row and
 * times the second parse (which meets the garbage of its own page, not that of a heavier one before
 * it). The ratios are paired: each round's nested page against the flat page and the closed twin of
 * the same round, and their median over the rounds. On a shared machine whose speed drifts by tens
 * of percent within seconds, a ratio of bests taken at different moments swings as much; pages
 * measured a second apart see the same machine.
 */
export function nestingCost(flatPage = generateLargePage(), rounds = 9): NestingCost {
  const pages = [flatPage, ...NESTING_SHAPES.flatMap(([, nested, closed]) => [nested, closed])];
  const mb = pages.map((page) => Buffer.byteLength(page) / MB);
  // Every page parsed a few times first: a fresh thread's first pages run before the code is optimised.
  for (let i = 0; i < 3; i++) for (const page of pages) parseSpec(page, { format: 'storage' });
  const perMb = pages.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < pages.length; i++) {
      parseSpec(pages[i]!, { format: 'storage' });
      perMb[i]!.push(cpuMs(pages[i]!) / mb[i]!);
    }
  }
  const best = perMb.map((values) => Math.min(...values));
  const flat = perMb[0]!;
  return {
    flat: best[0]!,
    rounds,
    shapes: NESTING_SHAPES.map(([label, page], s) => {
      const nested = perMb[1 + 2 * s]!;
      const closed = perMb[2 + 2 * s]!;
      return {
        label,
        bytes: Buffer.byteLength(page),
        nested: best[1 + 2 * s]!,
        closed: best[2 + 2 * s]!,
        nestedToFlat: median(nested.map((v, r) => v / flat[r]!)),
        nestedToClosed: median(nested.map((v, r) => v / closed[r]!)),
      };
    }),
  };
}
