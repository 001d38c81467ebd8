// Turns the evaluation corpus' Markdown sources (public specifications, see corpus/README.md) into
// Confluence storage format, the way a page pasted into Confluence is stored: headings, paragraphs,
// lists, tables, bold labels, inline code, code macros for fenced blocks, task lists for "[ ]" items.
// Run `npx tsx test/eval/convert.ts` after adding or changing a source; the .xhtml files are committed.

import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import MarkdownIt from 'markdown-it';

const CDATA_END = ']]>';

/** Markdown → Confluence storage-format XHTML. */
export function markdownToStorage(markdown: string): string {
  const md = new MarkdownIt({ html: false, xhtmlOut: true, linkify: false });
  md.renderer.rules.fence = (tokens, idx) => {
    const t = tokens[idx]!;
    const lang = t.info.trim().split(/\s+/)[0] ?? '';
    const body = t.content.replaceAll(CDATA_END, ']]]]><![CDATA[>');
    return `<ac:structured-macro ac:name="code">${lang ? `<ac:parameter ac:name="language">${md.utils.escapeHtml(lang)}</ac:parameter>` : ''}<ac:plain-text-body><![CDATA[${body}]]></ac:plain-text-body></ac:structured-macro>\n`;
  };
  md.renderer.rules.code_block = md.renderer.rules.fence;
  // Template comments ("<!-- ACTION REQUIRED … -->") are not page text in Confluence.
  const source = markdown.replace(/<!--[^]*?-->/g, '');
  let html = md.render(source);
  // GitHub task-list items become Confluence tasks.
  html = html.replace(/<ul>\n((?:<li>\[[ xX]\][^]*?<\/li>\n)+)<\/ul>/g, (_all, items: string) => {
    const tasks = [...items.matchAll(/<li>\[([ xX])\]\s*([^]*?)<\/li>\n/g)].map(
      (m, i) =>
        `<ac:task><ac:task-id>${i + 1}</ac:task-id><ac:task-status>${m[1] === ' ' ? 'incomplete' : 'complete'}</ac:task-status><ac:task-body>${m[2]!.trim()}</ac:task-body></ac:task>`,
    );
    return `<ac:task-list>\n${tasks.join('\n')}\n</ac:task-list>`;
  });
  return html;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/test\/eval\//, '/test/eval/'))) {
  const dir = new URL('./corpus/', import.meta.url);
  for (const name of readdirSync(new URL('source/', dir)).filter((f) => f.endsWith('.md'))) {
    const xhtml = markdownToStorage(readFileSync(new URL(`source/${name}`, dir), 'utf8'));
    writeFileSync(new URL(name.replace(/\.md$/, '.xhtml'), dir), xhtml);
    console.log(`${name} → ${name.replace(/\.md$/, '.xhtml')} (${xhtml.length} characters)`);
  }
}
