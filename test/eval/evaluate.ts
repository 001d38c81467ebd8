// The drafter's evaluation over real public specifications (corpus/manifest.json): for each page,
// the requirement ids it defines and how many a breakdown traces, the success criteria traced, the
// quality findings, and the title and criterion figures a reader notices first (titles cut
// mid-phrase, boilerplate criteria, epics named after template headings). `npm run eval` prints it.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseSpec } from '../../core/spec/index.ts';
import type { SpecDocument } from '../../core/spec/types.ts';
import { draftBreakdown } from '../../core/drafter/index.ts';
import { checkBreakdown, endsMidPhrase, flattenBreakdown, isTemplateCriterion, isTemplateHeading } from '../../core/breakdown/index.ts';
import type { Breakdown, BreakdownReport } from '../../core/breakdown/index.ts';

const ManifestSchema = z.object({
  pages: z.array(
    z.object({
      name: z.string().regex(/^[a-z0-9-]+$/),
      file: z.string(),
      title: z.string(),
      split: z.enum(['tuning', 'held-out']),
      source: z.object({ repository: z.string(), path: z.string(), commit: z.string().regex(/^[0-9a-f]{40}$/), pullRequest: z.number().int().optional(), url: z.string().url() }),
      licence: z.string().min(1),
      expectedIds: z.array(z.string()).min(1),
    }),
  ),
});
export type EvalPage = z.infer<typeof ManifestSchema>['pages'][number];

const dir = new URL('./corpus/', import.meta.url);

export function loadEvalCorpus(): EvalPage[] {
  const raw: unknown = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`test/eval/corpus/manifest.json is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data.pages;
}

export function loadEvalPage(page: EvalPage): SpecDocument {
  return parseSpec(readFileSync(new URL(page.file, dir), 'utf8'), { format: 'storage' });
}

export interface PageFigures {
  name: string;
  split: EvalPage['split'];
  /** Requirement ids the page defines (from the manifest) and those missing from the parsed page. */
  ids: number;
  idsTraced: number;
  untracedIds: string[];
  successCriteria: { total: number; traced: number };
  requirementBlocks: { total: number; covered: number };
  items: { epics: number; stories: number; subtasks: number };
  titles: number;
  titlesCutMidPhrase: string[];
  criteria: number;
  templateCriteria: string[];
  templateHeadingEpics: string[];
  findings: { errors: number; warnings: number; byCode: Record<string, number> };
}

/** Which expected ids a breakdown traces: an id is traced when an item cites a block that states it. */
export function tracedIds(doc: SpecDocument, breakdown: Breakdown, expected: readonly string[]): { traced: string[]; untraced: string[] } {
  const cited = new Set(flattenBreakdown(breakdown).flatMap((f) => f.item.sources));
  const traced = new Set<string>();
  for (const b of doc.blocks) {
    if (!cited.has(b.id)) continue;
    if (b.requirementId) traced.add(b.requirementId);
  }
  return { traced: expected.filter((id) => traced.has(id)), untraced: expected.filter((id) => !traced.has(id)) };
}

export function figuresFor(page: EvalPage, doc: SpecDocument, breakdown: Breakdown, report: BreakdownReport): PageFigures {
  const { traced, untraced } = tracedIds(doc, breakdown, page.expectedIds);
  const flat = flattenBreakdown(breakdown);
  const criteria = flat.flatMap((f) => f.item.acceptanceCriteria);
  const byCode: Record<string, number> = {};
  for (const f of report.findings) byCode[f.code] = (byCode[f.code] ?? 0) + 1;
  return {
    name: page.name,
    split: page.split,
    ids: page.expectedIds.length,
    idsTraced: traced.length,
    untracedIds: untraced,
    successCriteria: report.coverage.successCriteria,
    requirementBlocks: { total: report.coverage.requirementBlocks, covered: report.coverage.covered },
    items: report.counts,
    titles: flat.length,
    titlesCutMidPhrase: flat.map((f) => f.item.title).filter(endsMidPhrase),
    criteria: criteria.length,
    templateCriteria: criteria.filter(isTemplateCriterion),
    templateHeadingEpics: breakdown.epics.map((e) => e.title).filter(isTemplateHeading),
    findings: {
      errors: report.findings.filter((f) => f.severity === 'error').length,
      warnings: report.findings.filter((f) => f.severity === 'warning').length,
      byCode,
    },
  };
}

/** Drafts every page of the corpus and measures it. */
export function evaluateCorpus(pages: EvalPage[] = loadEvalCorpus()): PageFigures[] {
  return pages.map((page) => {
    const doc = loadEvalPage(page);
    const breakdown = draftBreakdown(doc);
    return figuresFor(page, doc, breakdown, checkBreakdown(doc, breakdown));
  });
}

const pct = (n: number, d: number): string => (d === 0 ? '–' : `${((100 * n) / d).toFixed(n === d ? 0 : 1)}%`);

function table(rows: PageFigures[]): string[] {
  const head = ['page', 'ids', 'traced', 'SC traced', 'req. blocks', 'items (E/S/T)', 'cut titles', 'template crit.', 'template epics', 'warnings'];
  const body = rows.map((r) => [
    r.name,
    String(r.ids),
    `${r.idsTraced} (${pct(r.idsTraced, r.ids)})`,
    r.successCriteria.total === 0 ? '–' : `${r.successCriteria.traced}/${r.successCriteria.total}`,
    `${r.requirementBlocks.covered}/${r.requirementBlocks.total}`,
    `${r.items.epics}/${r.items.stories}/${r.items.subtasks}`,
    `${r.titlesCutMidPhrase.length}/${r.titles}`,
    `${r.templateCriteria.length}/${r.criteria}`,
    String(r.templateHeadingEpics.length),
    String(r.findings.warnings),
  ]);
  const sum = (f: (r: PageFigures) => number): number => rows.reduce((n, r) => n + f(r), 0);
  body.push([
    'total',
    String(sum((r) => r.ids)),
    `${sum((r) => r.idsTraced)} (${pct(sum((r) => r.idsTraced), sum((r) => r.ids))})`,
    `${sum((r) => r.successCriteria.traced)}/${sum((r) => r.successCriteria.total)}`,
    `${sum((r) => r.requirementBlocks.covered)}/${sum((r) => r.requirementBlocks.total)}`,
    `${sum((r) => r.items.epics)}/${sum((r) => r.items.stories)}/${sum((r) => r.items.subtasks)}`,
    `${sum((r) => r.titlesCutMidPhrase.length)}/${sum((r) => r.titles)}`,
    `${sum((r) => r.templateCriteria.length)}/${sum((r) => r.criteria)}`,
    String(sum((r) => r.templateHeadingEpics.length)),
    String(sum((r) => r.findings.warnings)),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
}

/** The printed report: one table for the tuning pages, one for the held-out pages, then the details. */
export function renderEvaluation(rows: PageFigures[]): string {
  const out: string[] = ['Drafter evaluation over public specifications (test/eval/corpus)', ''];
  for (const split of ['tuning', 'held-out'] as const) {
    const part = rows.filter((r) => r.split === split);
    if (part.length === 0) continue;
    out.push(split === 'tuning' ? 'Tuning pages' : 'Held-out pages (not used to tune the drafter)', ...table(part), '');
  }
  for (const r of rows) {
    const notes: string[] = [];
    if (r.untracedIds.length > 0) notes.push(`untraced ids: ${r.untracedIds.join(', ')}`);
    for (const t of r.titlesCutMidPhrase.slice(0, 3)) notes.push(`cut title: "${t}"`);
    for (const c of r.templateCriteria.slice(0, 3)) notes.push(`template criterion: "${c.slice(0, 100)}"`);
    for (const e of r.templateHeadingEpics.slice(0, 3)) notes.push(`epic named after a template heading: "${e}"`);
    const codes = Object.entries(r.findings.byCode).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`);
    if (codes.length > 0) notes.push(`findings: ${codes.join(', ')}`);
    if (notes.length > 0) out.push(`${r.name}:`, ...notes.map((n) => `  ${n}`));
  }
  const ids = rows.reduce((n, r) => n + r.ids, 0);
  const traced = rows.reduce((n, r) => n + r.idsTraced, 0);
  out.push('', `Goals: 100% of ids traced (${pct(traced, ids)}), 0 titles cut mid-phrase (${rows.reduce((n, r) => n + r.titlesCutMidPhrase.length, 0)}), 0 template criteria (${rows.reduce((n, r) => n + r.templateCriteria.length, 0)}).`);
  return `${out.join('\n')}\n`;
}
