// Public surface of the breakdown domain: the schema (contract) and the deterministic checks.

export * from './schema.ts';
export * from './findings.ts';
export { checkLimits } from './checkLimits.ts';
export { computeCoverage, coverageFindings } from './coverage.ts';
export type { Coverage } from './coverage.ts';
export { findDuplicateItems, NEAR_DUPLICATE_THRESHOLD, TITLE_DUPLICATE_THRESHOLD } from './duplicates.ts';
export { lintStory, lintSubtask, lintEpic, lintBreakdown, ADVISED_TITLE_MAX, endsMidPhrase, isTemplateCriterion, isTemplateHeading } from './lintStory.ts';
export { parseStoryForm } from './storyForm.ts';
export type { StoryForm } from './storyForm.ts';
export { checkBreakdown } from './checkBreakdown.ts';
export type { BreakdownReport } from './checkBreakdown.ts';
export { renderReportText, renderBreakdownText, renderBreakdownMarkdown } from './render.ts';
