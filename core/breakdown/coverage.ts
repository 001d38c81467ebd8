// Coverage: which requirement blocks of the page are cited by at least one item of the breakdown.
// Uncovered requirements are what the model's second pass (or the drafter) must still address.

import { flattenBreakdown } from './schema.ts';
import type { Breakdown } from './schema.ts';
import { isRequirementBlock } from '../spec/types.ts';
import type { SpecDocument } from '../spec/types.ts';
import { snippet } from './findings.ts';
import type { Finding } from './findings.ts';

export interface Coverage {
  /** How many blocks of the page are requirement blocks. */
  requirementBlocks: number;
  /** How many of those are cited by some item. */
  covered: number;
  /** Ids of the requirement blocks no item cites, in page order. */
  uncovered: string[];
  /** covered / requirementBlocks; 1 when the page has no requirement blocks. */
  ratio: number;
  /** Success criteria, measurable outcomes and KPIs among the requirement blocks, and how many are cited. */
  successCriteria: { total: number; traced: number };
}

export function computeCoverage(doc: SpecDocument, breakdown: Breakdown): Coverage {
  const cited = new Set<string>();
  for (const { item } of flattenBreakdown(breakdown)) for (const s of item.sources) cited.add(s);
  const requirements = doc.blocks.filter(isRequirementBlock);
  const uncovered = requirements.filter((b) => !cited.has(b.id)).map((b) => b.id);
  const covered = requirements.length - uncovered.length;
  const success = requirements.filter((b) => b.tags.includes('successCriterion'));
  return {
    requirementBlocks: requirements.length,
    covered,
    uncovered,
    ratio: requirements.length === 0 ? 1 : covered / requirements.length,
    successCriteria: { total: success.length, traced: success.filter((b) => cited.has(b.id)).length },
  };
}

/** One warning per uncovered requirement, quoting it so the reviewer can find it on the page. */
export function coverageFindings(doc: SpecDocument, coverage: Coverage): Finding[] {
  const byId = new Map(doc.blocks.map((b) => [b.id, b]));
  return coverage.uncovered.map((id) => {
    const b = byId.get(id);
    const where = b && b.headingPath.length > 0 ? ` (under "${b.headingPath.join(' › ')}")` : '';
    if (b?.tags.includes('successCriterion')) {
      return {
        severity: 'warning' as const,
        code: 'untraced-success-criterion',
        blockId: id,
        message: `No item traces the success criterion "${snippet(b.text)}"${where}. Add it as an acceptance criterion of the epic or story it measures, or as a story that verifies it.`,
      };
    }
    return {
      severity: 'warning' as const,
      code: 'uncovered-requirement',
      blockId: id,
      message: `No item covers the requirement "${snippet(b?.text ?? id)}"${where}. Add a story for it or cite it from an existing item.`,
    };
  });
}
