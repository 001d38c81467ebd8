import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBreakdown } from '../breakdown/schema.ts';
import { DRAFTER_NOTE } from '../drafter/draftBreakdown.ts';
import { MAX_PAGE_BYTES } from '../spec/index.ts';
import { runCli as cli } from '../../test/support/runCli.ts';
import type { CliRun } from '../../test/support/runCli.ts';
import { CORPUS_PAGES, loadCorpusPage } from '../../test/corpus/index.ts';

/** Runs `jobs` two at a time: the machine has two cores and every run is a Node process of its own. */
async function twoAtATime<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

function assertNoStack(r: CliRun): void {
  assert.doesNotMatch(r.stderr, /\n\s+at |unexpected error/);
}

const STORAGE = `<h1>Payments</h1>
<h2>Refunds</h2>
<p>Refunds return money to the customer.</p>
<ul><li>FR-1 The system must refund a card payment within 5 days.</li><li>FR-2 The system should refund vouchers.</li></ul>
<ac:task-list><ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body>Ask finance about fees</ac:task-body></ac:task></ac:task-list>
<h2>Receipts</h2>
<p>As a customer, I want a receipt by email, so that I can claim expenses.</p>`;

const MARKDOWN = `# Reports

## Exports

- FR-10 The system must export the ledger as CSV.
- [ ] Pick a CSV dialect

## Alerts

Given a payment fails

When the retry also fails

Then the account owner is emailed
`;

describe('spec2tickets generate (real CLI process)', { concurrency: 2 }, () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spec2tickets-cli-'));
    await writeFile(join(dir, 'payments.xml'), STORAGE);
    await writeFile(join(dir, 'reports.md'), MARKDOWN);
    await writeFile(join(dir, 'garbage.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
    await writeFile(join(dir, 'blank.txt'), ' \n\n \t\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a storage-format file prints the breakdown and its coverage report as text', async () => {
    const r = await cli(['generate', join(dir, 'payments.xml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^E1 {2}Refunds/m);
    assert.match(r.stdout, /^ {2}S1\.1 {2}FR-1: Refund a card payment within 5 days/m);
    assert.match(r.stdout, /^ {4}T1\.\d\.1 {2}Ask finance about fees/m);
    assert.match(r.stdout, /^E2 {2}Receipts/m);
    assert.match(r.stdout, /Coverage: 4 of 4 requirement blocks cited \(100\.0%\)/);
    assert.equal(r.stderr, '');
  });

  test('a page on stdin with --json prints a schema-valid breakdown and its report', async () => {
    const r = await cli(['generate', '-', '--format', 'markdown', '--json'], MARKDOWN);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { breakdown: unknown; report: { ok: boolean; coverage: { ratio: number }; counts: unknown } };
    const b = parseBreakdown(out.breakdown);
    assert.equal(b.generator.kind, 'drafter');
    assert.deepEqual(b.epics.map((e) => e.title), ['Exports', 'Alerts']);
    assert.deepEqual(b.epics[1]!.stories[0]!.acceptanceCriteria, ['Given a payment fails; When the retry also fails; Then the account owner is emailed']);
    assert.equal(out.report.ok, true);
    assert.equal(out.report.coverage.ratio, 1);
  });

  test('the format is guessed from the extension and --markdown prints Markdown', async () => {
    const r = await cli(['generate', join(dir, 'reports.md'), '--markdown']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# Reports$/m);
    assert.match(r.stdout, /^### S1\.1 FR-10: Export the ledger as CSV$/m);
  });

  test('binary garbage, a missing file and an empty page exit with 2 and a message, without a stack trace', async () => {
    const runs = await Promise.all([
      cli(['generate', join(dir, 'garbage.bin')]),
      cli(['generate', join(dir, 'missing.xml')]),
      cli(['generate', join(dir, 'blank.txt')]),
      cli(['generate', '-'], ''),
    ]);
    const [garbage, missing, blank, emptyStdin] = runs;
    assert.match(garbage!.stderr, /binary/);
    assert.match(missing!.stderr, /Cannot read .*missing\.xml: no such file/);
    assert.match(blank!.stderr, /empty|no text content/);
    assert.match(emptyStdin!.stderr, /empty|no text content/);
    for (const r of runs) {
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.match(r.stderr, /^spec2tickets: /);
    }
  });

  test('every corpus page through the CLI is drafted without a model and fully covered, with no error findings', async () => {
    const corpusDir = new URL('../../test/corpus/', import.meta.url).pathname;
    const runs = await twoAtATime(
      CORPUS_PAGES.map((page) => () => {
        // The ~1 MB page is generated, not committed: it goes in on stdin.
        if (page.name === 'large-generated') return cli(['generate', '-', '--format', page.format, '--json'], loadCorpusPage(page.name).content);
        return cli(['generate', join(corpusDir, page.file), '--format', page.format, '--json']);
      }),
    );
    assert.ok(runs.length >= 12, `${runs.length} corpus pages`);
    runs.forEach((r, i) => {
      const name = CORPUS_PAGES[i]!.name;
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assertNoStack(r);
      const out = JSON.parse(r.stdout) as { breakdown: unknown; report: { ok: boolean; coverage: { ratio: number; requirementBlocks: number; uncovered: unknown[] } } };
      const b = parseBreakdown(out.breakdown);
      assert.equal(b.generator.kind, 'drafter', name);
      assert.equal(b.generator.note, DRAFTER_NOTE, name);
      assert.ok(out.report.coverage.requirementBlocks > 0, `${name} has requirement blocks`);
      assert.deepEqual(out.report.coverage.uncovered, [], name);
      assert.equal(out.report.coverage.ratio, 1, name);
      assert.equal(out.report.ok, true, name);
    });
  });

  test('text and Markdown output say plainly that the breakdown was drafted without a model', async () => {
    const file = new URL('../../test/corpus/prd-checkout.xhtml', import.meta.url).pathname;
    const [text, markdown] = await Promise.all([cli(['generate', file]), cli(['generate', file, '--markdown'])]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stdout.split('\n')[0], `Checkout Revamp PRD — drafter: ${DRAFTER_NOTE}`);
    assert.match(DRAFTER_NOTE, /without a model/);
    assert.equal(markdown.code, 0, markdown.stderr);
    assert.match(markdown.stdout, /^> Drafted without a model from the page structure/m);
  });

  test('a 10 MB page is refused with exit 2 and the limit; a 5,000-deep list is broken down, with the capped depth reported', async () => {
    const big = join(dir, 'big.xhtml');
    await writeFile(big, `<h1>Big</h1><p>${'The system must scale. '.repeat((10 * 1024 * 1024) / 23)}</p>`);
    const depth = 5000;
    const deep = join(dir, 'deep.xhtml');
    await writeFile(
      deep,
      `<h1>Deep</h1><ul>${Array.from({ length: depth }, (_, i) => `<li>The importer must accept nesting level ${i}<ul>`).join('')}<li>leaf</li>${'</ul></li>'.repeat(depth)}</ul>`,
    );
    const [tooBig, deepRun] = await Promise.all([cli(['generate', big]), cli(['generate', deep, '--json'])]);

    assert.equal(tooBig.code, 2);
    assert.equal(tooBig.stdout, '');
    assert.match(tooBig.stderr, new RegExp(`^spec2tickets: The page is 10\\.0 MiB .*above the limit of ${MAX_PAGE_BYTES / 1024 / 1024}\\.0 MiB`));
    assertNoStack(tooBig);

    assert.equal(deepRun.code, 0, deepRun.stderr);
    assertNoStack(deepRun);
    assert.match(deepRun.stderr, /^spec2tickets: page warning \(depth_capped\): Lists are nested deeper than 64 levels/m);
    const out = JSON.parse(deepRun.stdout) as { breakdown: unknown; report: { coverage: { ratio: number; requirementBlocks: number } } };
    parseBreakdown(out.breakdown);
    assert.equal(out.report.coverage.requirementBlocks, depth);
    assert.equal(out.report.coverage.ratio, 1);
  });

  test('a page without requirement blocks says so instead of claiming full coverage', async () => {
    const r = await cli(['generate', '-', '--format', 'text'], 'Notes\n\nWe met on Tuesday and talked about the roadmap.\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Coverage: the page has no requirement blocks .*nothing to cite$/m);
    assert.doesNotMatch(r.stdout, /100\.0%/);
  });

  test('usage mistakes exit with 2 and --version prints the package version', async () => {
    const [both, badFormat, version] = await Promise.all([
      cli(['generate', join(dir, 'reports.md'), '--json', '--markdown']),
      cli(['generate', join(dir, 'reports.md'), '--format', 'docx']),
      cli(['--version']),
    ]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /cannot be used with/);
    assert.equal(badFormat.code, 2);
    assert.match(badFormat.stderr, /Allowed choices are storage, markdown, text/);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), pkg.version);
  });
});
