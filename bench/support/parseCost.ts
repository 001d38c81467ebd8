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

/** CPU time of one parse in ms (this process, all threads: GC included), which a busy machine distorts far less than wall-clock. */
function cpuMs(page: string): number {
  const cpu0 = process.cpuUsage();
  parseSpec(page, { format: 'storage' });
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000;
}

export interface NestingCost {
  flat: number;
  shapes: { label: string; bytes: number; nested: number; closed: number }[];
}

/**
 * CPU ms per MB of each page: the best of `runs` parses in a row (other processes and the collector's
 * timing only ever add to a parse). In a row, so that each parse meets the garbage of its own page and
 * not that of a heavier one measured before it.
 */
export function nestingCost(flatPage = generateLargePage(), runs = 9): NestingCost {
  const pages = [flatPage, ...NESTING_SHAPES.flatMap(([, nested, closed]) => [nested, closed])];
  // Every page parsed a few times first: a fresh thread's first pages run before the code is optimised.
  for (let i = 0; i < 3; i++) for (const page of pages) parseSpec(page, { format: 'storage' });
  const perMb = pages.map((page) => {
    let best = Infinity;
    for (let r = 0; r < runs; r++) best = Math.min(best, cpuMs(page));
    return best / (Buffer.byteLength(page) / MB);
  });
  return {
    flat: perMb[0]!,
    shapes: NESTING_SHAPES.map(([label, page], i) => ({ label, bytes: Buffer.byteLength(page), nested: perMb[1 + 2 * i]!, closed: perMb[2 + 2 * i]! })),
  };
}
