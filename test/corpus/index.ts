// The spec corpus: realistic pages in every input format, for parser tests and for anything downstream
// (drafter, model, backend) that wants to run over real-looking specifications. The ~1 MB page is
// generated from a committed template, so no large file lives in the repository.

import { readFileSync } from 'node:fs';
import type { SpecFormat } from '../../core/spec/types.ts';

export interface CorpusPage {
  name: string;
  file: string;
  format: SpecFormat;
  description: string;
}

const dir = new URL('./', import.meta.url);

export const CORPUS_PAGES: readonly CorpusPage[] = [
  { name: 'prd-checkout', file: 'prd-checkout.xhtml', format: 'storage', description: 'PRD with requirement tables and an info panel' },
  { name: 'tech-spec-export', file: 'tech-spec-export.xhtml', format: 'storage', description: 'Technical spec with FR ids, a code macro and Jira issue macros' },
  { name: 'user-stories-onboarding', file: 'user-stories-onboarding.xhtml', format: 'storage', description: 'User stories with Given/When/Then acceptance criteria' },
  { name: 'meeting-notes', file: 'meeting-notes.xhtml', format: 'storage', description: 'Meeting notes with mentions and a task list' },
  { name: 'lastenheft-zahlungen', file: 'lastenheft-zahlungen.xhtml', format: 'storage', description: 'German requirements page' },
  { name: 'specification-fr', file: 'specification-fr.xhtml', format: 'storage', description: 'French requirements page' },
  { name: 'requisitos-reservas', file: 'requisitos-reservas.xhtml', format: 'storage', description: 'Spanish requirements page with a requirement table, a user story and tasks' },
  { name: 'macros-showcase', file: 'macros-showcase.xhtml', format: 'storage', description: 'Layouts, panels, expand, status, emoticons, mentions, links, images, Forge extension' },
  { name: 'malformed', file: 'malformed.xhtml', format: 'storage', description: 'Unclosed and mismatched tags, stray entities' },
  { name: 'large-generated', file: 'large-page.template.xhtml', format: 'storage', description: 'About 1 MB, generated from a template module' },
  { name: 'release-plan', file: 'release-plan.md', format: 'markdown', description: 'Markdown with task list, table, code and raw HTML' },
  { name: 'support-notes', file: 'support-notes.txt', format: 'text', description: 'Plain text with headings, lists and lead-ins' },
];

export const LARGE_PAGE_TARGET_BYTES = 1024 * 1024;

/** Repeats the template module (with {{n}} numbered 1, 2, …) until the page reaches `targetBytes`. */
export function generateLargePage(targetBytes: number = LARGE_PAGE_TARGET_BYTES): string {
  const template = readFileSync(new URL('large-page.template.xhtml', dir), 'utf8');
  const parts = ['<h1>Order Platform Specification</h1>\n'];
  let size = Buffer.byteLength(parts[0]!);
  for (let n = 1; size < targetBytes; n++) {
    const module = template.replaceAll('{{n}}', String(n));
    parts.push(module);
    size += Buffer.byteLength(module);
  }
  return parts.join('');
}

export function loadCorpusPage(name: string): { page: CorpusPage; content: string } {
  const page = CORPUS_PAGES.find((p) => p.name === name);
  if (!page) throw new Error(`No corpus page named '${name}'. Known pages: ${CORPUS_PAGES.map((p) => p.name).join(', ')}.`);
  const content = name === 'large-generated' ? generateLargePage() : readFileSync(new URL(page.file, dir), 'utf8');
  return { page, content };
}
