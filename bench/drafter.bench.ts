// Drafter and checks throughput: the ~1 MB generated corpus page and a 500-requirement section.
import { generateLargePage } from '../test/corpus/index.ts';
import { parseSpec } from '../core/spec/index.ts';
import { draftBreakdown } from '../core/drafter/draftBreakdown.ts';
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

console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
