// Checks shared by the embedded engine's tests on the tiny random-weight Qwen: every citation is a
// block of the page and of the request's own chunk, requirements are covered (or the reviewer is
// told why not), and the system prompt's KV prefix is reused.

import assert from 'node:assert/strict';
import { flattenBreakdown } from '../../core/breakdown/schema.ts';
import type { Breakdown } from '../../core/breakdown/schema.ts';
import { computeCoverage } from '../../core/breakdown/coverage.ts';
import type { GenerationStats } from '../../core/model/pipeline.ts';
import { parseSpec } from '../../core/spec/index.ts';
import type { SpecDocument } from '../../core/spec/types.ts';
import { loadCorpusPage } from '../corpus/index.ts';

/** Small output limits keep random-weight generation (which fills every string to its limit) short. */
export const LIMITS_FOR_TESTS = { epicsMax: 2, storiesMax: 2, subtasksMax: 1, titleMax: 24, descriptionMax: 16, criteriaMax: 1, criterionMax: 16, sourcesMax: 2 };

export function page(name: string): SpecDocument {
  const { page: p, content } = loadCorpusPage(name);
  return parseSpec(content, { format: p.format });
}

export function assertTraceable(doc: SpecDocument, b: Breakdown): void {
  const ids = new Set(doc.blocks.map((x) => x.id));
  for (const { item } of flattenBreakdown(b)) {
    for (const s of item.sources) assert.ok(ids.has(s), `${item.id} cites ${s}, which is not on the page`);
  }
}

/**
 * Every requirement block is cited by an item, except those the model said need no story: the
 * reviewer is told about each of those, with the model's reason.
 */
export function assertCovered(doc: SpecDocument, b: Breakdown, stats: GenerationStats): void {
  const skipped = new Map(stats.coverage.noStoryNeeded.map((n) => [n.blockId, n.why]));
  const uncovered = computeCoverage(doc, b).uncovered;
  assert.deepEqual(uncovered.filter((id) => !skipped.has(id)), [], `uncovered: ${uncovered.join(', ')}`);
  for (const id of uncovered) assert.ok(b.warnings.some((w) => w.includes(id) && /needs no story/.test(w)), `${id} is shown to the reviewer`);
}

/** Every citation the model wrote lies in the enum of the chunk it was asked about, and none was dropped. */
export function assertCitationsInEnum(stats: GenerationStats): void {
  const asked = stats.perRequest.filter((r) => r.purpose !== 'outline');
  assert.ok(asked.length > 0 && asked.every((r) => r.citable && r.citable.length > 0 && r.cited));
  for (const r of asked) {
    for (const alias of r.cited!) assert.ok(r.citable!.includes(alias), `cited ${alias}, allowed ${r.citable!.join(' ')}`);
  }
  assert.equal(stats.citations.written, asked.reduce((n, r) => n + r.cited!.length, 0));
  assert.ok(stats.citations.written > 0, 'the model cited blocks');
  assert.deepEqual(stats.citations.dropped, []);
}

/** The system prompt is evaluated once per sequence; every later request on it reuses those tokens. */
export function assertPrefixReused(stats: GenerationStats): void {
  const saved = stats.promptTokens - stats.evaluatedInputTokens;
  const expected = (stats.requests - stats.sequences) * 0.8 * stats.systemPromptTokens;
  assert.ok(stats.requests > stats.sequences, `${stats.requests} requests on ${stats.sequences} sequence(s)`);
  assert.ok(saved >= expected, `${saved} prompt tokens not evaluated again, expected at least ${expected} (${stats.requests} requests, ${stats.sequences} sequence(s), system prompt ${stats.systemPromptTokens} tokens)`);
}

