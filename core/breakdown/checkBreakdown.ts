// The one quality report for a breakdown against its page: limits and structure, coverage of the
// page's requirements, duplicates and story lint. The CLI prints it, the backend stores it with the
// job, the reviewer UI shows it next to the items.

import type { Breakdown } from './schema.ts';
import type { SpecDocument } from '../spec/types.ts';
import { checkLimits } from './checkLimits.ts';
import { computeCoverage, coverageFindings } from './coverage.ts';
import type { Coverage } from './coverage.ts';
import { findDuplicateItems } from './duplicates.ts';
import { lintBreakdown } from './lintStory.ts';
import { sortFindings } from './findings.ts';
import type { Finding } from './findings.ts';

export interface BreakdownReport {
  coverage: Coverage;
  /** Errors first, then warnings, then info. */
  findings: Finding[];
  counts: { epics: number; stories: number; subtasks: number };
  /** True when there is no error finding (warnings are for the reviewer to weigh). */
  ok: boolean;
}

export function checkBreakdown(doc: SpecDocument, breakdown: Breakdown): BreakdownReport {
  const coverage = computeCoverage(doc, breakdown);
  const findings = sortFindings([
    ...checkLimits(breakdown, doc),
    ...coverageFindings(doc, coverage),
    ...findDuplicateItems(breakdown),
    ...lintBreakdown(breakdown),
  ]);
  const stories = breakdown.epics.reduce((n, e) => n + e.stories.length, 0);
  const subtasks = breakdown.epics.reduce((n, e) => n + e.stories.reduce((m, s) => m + s.subtasks.length, 0), 0);
  return {
    coverage,
    findings,
    counts: { epics: breakdown.epics.length, stories, subtasks },
    ok: !findings.some((f) => f.severity === 'error'),
  };
}
