// Drafter and checks throughput: the ~1 MB generated corpus page and a 500-requirement section; and
// the event loop's longest pause while a 4.8 MB page is drafted on the drafter thread, against in place.
import { generateLargePage } from '../test/corpus/index.ts';
import { parseSpec } from '../core/spec/index.ts';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { draftBreakdown } from '../core/drafter/draftBreakdown.ts';
import { DrafterThread } from '../core/drafter/draftOffThread.ts';
import { checkBreakdown } from '../core/breakdown/checkBreakdown.ts';
import { buildSpec, h, li } from '../core/breakdown/fixtures/specDocument.ts';
import type { PagePart } from '../core/breakdown/fixtures/specDocument.ts';
import type { SpecDocument } from '../core/spec/types.ts';

function median(fn: () => void, runs = 5): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

function measure(label: string, doc: SpecDocument, sizeNote: string): void {
  const requirements = doc.blocks.filter((b) => b.tags.length > 0).length;
  const breakdown = draftBreakdown(doc);
  const draftMs = median(() => draftBreakdown(doc));
  const checkMs = median(() => checkBreakdown(doc, breakdown));
  const report = checkBreakdown(doc, breakdown);
  const { epics, stories, subtasks } = report.counts;
  console.log(
    `${label}: ${sizeNote}, ${doc.blocks.length} blocks, ${requirements} requirement blocks → ${epics} epics, ${stories} stories, ${subtasks} sub-tasks; ` +
      `coverage ${(report.coverage.ratio * 100).toFixed(1)} %`,
  );
  console.log(
    `  draft: ${draftMs.toFixed(1)} ms (${Math.round(requirements / (draftMs / 1000)).toLocaleString('en')} requirements/s); ` +
      `check: ${checkMs.toFixed(1)} ms (${report.findings.length} findings); median of 5`,
  );
}

const page = generateLargePage();
const large = parseSpec(page, { format: 'storage' });
measure('large corpus page', large, `${(Buffer.byteLength(page) / 1024 / 1024).toFixed(2)} MiB`);

const parts: PagePart[] = [h(1, 'Ledger import')];
for (let i = 1; i <= 500; i++) parts.push(li(`REQ-${i} The importer must accept ledger file variant ${i} and report rejected rows by line number.`));
measure('one section, 500 requirements', buildSpec('Ledger', parts), 'built in memory');

// Off the event loop: the longest pause of this thread's event loop while a 4.8 MB page of 59,000
// requirements is drafted on the drafter thread, against drafting it in place (the whole draft is one pause).
{
  let html = '';
  for (let i = 1; html.length < 4.8 * 1024 * 1024; i++) {
    html += `<h2>Area ${i}</h2><ul>`;
    for (let j = 1; j <= 20; j++) html += `<li>The service must record event ${i}.${j} for account ${(i * 31 + j) % 997} within ${j} seconds.</li>`;
    html += '</ul>';
  }
  const doc = parseSpec(html, { format: 'storage' });
  const longestPause = async (draft: () => Promise<unknown>) => {
    const histogram = monitorEventLoopDelay({ resolution: 5 });
    histogram.enable();
    // Its first firing only sets the baseline: let that happen before drafting.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    await draft();
    const ms = performance.now() - started;
    // The histogram records a pause when its timer fires late: let it fire once after the draft.
    await new Promise((resolve) => setTimeout(resolve, 20));
    histogram.disable();
    return { ms, pauseMs: histogram.max / 1e6 };
  };
  const thread = new DrafterThread();
  await thread.draftBreakdown(buildSpec('Warm-up', [h(1, 'Warm-up'), li('The page must load.')])); // starts the worker
  const off = await longestPause(() => thread.draftBreakdown(doc));
  await thread.close();
  const inPlace = await longestPause(async () => draftBreakdown(doc));
  console.log(
    `4.8 MB page, ${doc.blocks.length} blocks: on the drafter thread ${off.ms.toFixed(0)} ms, longest event-loop pause ${off.pauseMs.toFixed(0)} ms; ` +
      `in place ${inPlace.ms.toFixed(0)} ms, longest pause ${inPlace.pauseMs.toFixed(0)} ms`,
  );
}

console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
