// `spec2tickets generate --model`: the product CLI writing a breakdown with the tiny Qwen model on
// the real runtime, and refusing a damaged model file with exit code 2 and a message saying why.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBreakdown } from '../breakdown/schema.ts';
import { runCli as cli } from '../../test/support/runCli.ts';
import { tinyQwenPath } from '../../test/support/tinyQwen.ts';

const PAGE = '<h1>Export</h1><p>FR-1: Users must export orders as CSV.</p><p>FR-2: The export must finish within 10 seconds.</p>';

describe('spec2tickets generate --model', () => {
  let dir: string;
  let page: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 's2t-cli-model-'));
    page = join(dir, 'export.xml');
    await writeFile(page, PAGE);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('with the tiny Qwen model the breakdown is written by the model, with progress on stderr', async () => {
    const run = await cli(['generate', page, '--model', tinyQwenPath(), '--context-size', '1024', '--threads', '1', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { breakdown: unknown; report: { coverage: { requirementBlocks: number; covered: number; uncovered: string[] } } };
    const breakdown = parseBreakdown(out.breakdown);
    assert.ok(breakdown.generator.kind === 'model' || breakdown.generator.kind === 'mixed', breakdown.generator.kind);
    // Nothing is lost silently. What a random model writes depends on the CPU's arithmetic, and it may
    // claim that a requirement needs no story: then the report lists the block as uncovered and the
    // breakdown carries a warning naming it; every other requirement is cited by an item.
    const { requirementBlocks, covered, uncovered } = out.report.coverage;
    assert.equal(requirementBlocks, 2);
    assert.equal(covered + uncovered.length, requirementBlocks);
    for (const id of uncovered) {
      assert.ok(
        breakdown.warnings.some((w) => w.startsWith(`Block ${id}: the model found that it needs no story`)),
        `${id} is uncovered without a warning naming it: ${JSON.stringify(breakdown.warnings)}`,
      );
    }
    assert.match(run.stderr, /Model ready: tiny-qwen2\.5-\w+\.gguf \(CPU\)/);
    assert.match(run.stderr, /Section 1\/1 \(\d+ tokens so far\)/);
  });

  test('a damaged model file ends with exit code 2 and says why, without a stack', async () => {
    const bad = join(dir, 'damaged.gguf');
    await writeFile(bad, (await readFile(tinyQwenPath())).subarray(0, 4096));
    const run = await cli(['generate', page, '--model', bad]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /spec2tickets: The model could not be loaded: damaged\.gguf is truncated .* Run without --model/);
    assert.doesNotMatch(run.stderr, /\n\s+at /);
    const missing = await cli(['generate', page, '--model', join(dir, 'nope.gguf')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Model file not found: .*nope\.gguf/);
    assert.doesNotMatch(missing.stderr, /Loading /, 'a missing file shows no load progress before its error');
    assert.doesNotMatch(run.stderr, /Loading /, 'nor does a damaged one');
  });
});
