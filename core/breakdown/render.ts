// Human-readable renderings of a breakdown and its report: plain text for the terminal and Markdown
// for pasting into a page or a pull request.

import type { Breakdown, Epic, Story, Subtask } from './schema.ts';
import type { BreakdownReport } from './checkBreakdown.ts';
import type { Finding } from './findings.ts';

const percent = (r: number): string => `${(Math.floor(r * 1000) / 10).toFixed(1)}%`;

function summaryLines(report: BreakdownReport): string[] {
  const { coverage, counts, findings } = report;
  const n = (sev: Finding['severity']): number => findings.filter((f) => f.severity === sev).length;
  return [
    `Items: ${counts.epics} epics, ${counts.stories} stories, ${counts.subtasks} sub-tasks`,
    coverage.requirementBlocks === 0
      ? 'Coverage: the page has no requirement blocks (no ids, modal verbs, user stories, scenarios or open tasks), so there is nothing to cite'
      : `Coverage: ${coverage.covered} of ${coverage.requirementBlocks} requirement blocks cited (${percent(coverage.ratio)})${
          coverage.successCriteria.total > 0 ? `; success criteria: ${coverage.successCriteria.traced} of ${coverage.successCriteria.total} traced` : ''
        }`,
    `Findings: ${n('error')} errors, ${n('warning')} warnings, ${n('info')} info — ${report.ok ? 'OK' : 'NOT OK (fix the errors before creating issues)'}`,
  ];
}

const findingLine = (f: Finding): string => `${f.severity.toUpperCase()} ${f.code}${f.itemId ? ` [${f.itemId}]` : ''}: ${f.message}`;

export function renderReportText(report: BreakdownReport): string {
  const lines = summaryLines(report);
  if (report.findings.length > 0) {
    lines.push('');
    for (const f of report.findings) lines.push(`  ${findingLine(f)}`);
  }
  return `${lines.join('\n')}\n`;
}

function itemMeta(item: Epic | Story | Subtask): string {
  const parts: string[] = [];
  if (item.estimate !== null) parts.push(`${item.estimate}${'stories' in item ? '' : 'subtasks' in item ? ' pts' : ' h'}`);
  parts.push(item.priority);
  if (item.origin !== 'model') parts.push(item.origin);
  if (item.dependsOn.length > 0) parts.push(`depends on ${item.dependsOn.join(', ')}`);
  return parts.join(', ');
}

/** The breakdown as an indented outline for a terminal. */
export function renderBreakdownText(breakdown: Breakdown): string {
  const lines: string[] = [`${breakdown.title || 'Breakdown'} — ${breakdown.generator.kind}${breakdown.generator.note ? `: ${breakdown.generator.note}` : ''}`];
  for (const w of breakdown.warnings) lines.push(`! ${w}`);
  for (const e of breakdown.epics) {
    lines.push('', `${e.id}  ${e.title}  (${itemMeta(e)})`);
    for (const c of e.acceptanceCriteria) lines.push(`      ✓ ${c}`);
    for (const s of e.stories) {
      lines.push(`  ${s.id}  ${s.title}  (${itemMeta(s)})`);
      for (const c of s.acceptanceCriteria) lines.push(`        ✓ ${c}`);
      for (const t of s.subtasks) lines.push(`    ${t.id}  ${t.title}  (${itemMeta(t)})`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const md = (s: string): string => s.replace(/([\\`*_[\]<>|])/g, '\\$1').replace(/\n+/g, ' ');

export function renderBreakdownMarkdown(breakdown: Breakdown, report: BreakdownReport): string {
  const out: string[] = [`# ${md(breakdown.title || 'Breakdown')}`, ''];
  if (breakdown.generator.note) out.push(`> ${md(breakdown.generator.note)}`, '');
  for (const l of summaryLines(report)) out.push(`- ${l}`);
  out.push('');
  for (const w of breakdown.warnings) out.push(`- **Warning:** ${md(w)}`);
  if (breakdown.warnings.length > 0) out.push('');
  for (const e of breakdown.epics) {
    out.push(`## ${e.id} ${md(e.title)}`, '');
    if (e.description) out.push(md(e.description), '');
    if (e.acceptanceCriteria.length > 0) {
      out.push('**Acceptance criteria**', '');
      for (const c of e.acceptanceCriteria) out.push(`- [ ] ${md(c)}`);
      out.push('');
    }
    for (const s of e.stories) {
      out.push(`### ${s.id} ${md(s.title)}`, '', `*${md(itemMeta(s))}*`, '');
      if (s.description) out.push(md(s.description), '');
      if (s.acceptanceCriteria.length > 0) {
        out.push('**Acceptance criteria**', '');
        for (const c of s.acceptanceCriteria) out.push(`- [ ] ${md(c)}`);
        out.push('');
      }
      if (s.subtasks.length > 0) {
        out.push('**Sub-tasks**', '');
        for (const t of s.subtasks) out.push(`- ${t.id} ${md(t.title)}`);
        out.push('');
      }
      if (s.sources.length > 0) out.push(`Sources: ${s.sources.map((x) => `\`${x}\``).join(', ')}`, '');
    }
  }
  if (report.findings.length > 0) {
    out.push('## Findings', '', '| severity | code | item | message |', '|---|---|---|---|');
    for (const f of report.findings) out.push(`| ${f.severity} | ${f.code} | ${f.itemId ?? f.blockId ?? ''} | ${md(f.message)} |`);
    out.push('');
  }
  return out.join('\n');
}
