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

/**
 * CPU time per MB (this process, all threads: GC included), which a busy machine distorts far less
 * than wall-clock; the best of `runs`, since other processes only ever add to it.
 */
export function cpuMsPerMb(page: string, runs = 5): number {
  parseSpec(page, { format: 'storage' });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cpu0 = process.cpuUsage();
    parseSpec(page, { format: 'storage' });
    const cpu = process.cpuUsage(cpu0);
    times.push((cpu.user + cpu.system) / 1000);
  }
  return Math.min(...times) / (Buffer.byteLength(page) / MB);
}

export interface NestingCost {
  flat: number;
  shapes: { label: string; bytes: number; nested: number; closed: number }[];
}

export function nestingCost(flatPage = generateLargePage()): NestingCost {
  // Every page parsed a few times first: a fresh thread's first pages run before the code is optimised.
  for (let i = 0; i < 3; i++) for (const page of [flatPage, ...NESTING_SHAPES.flatMap(([, nested, closed]) => [nested, closed])]) parseSpec(page, { format: 'storage' });
  const flat = cpuMsPerMb(flatPage);
  return {
    flat,
    shapes: NESTING_SHAPES.map(([label, page, closed]) => ({ label, bytes: Buffer.byteLength(page), nested: cpuMsPerMb(page), closed: cpuMsPerMb(closed) })),
  };
}
