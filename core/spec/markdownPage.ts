// Markdown pages: markdown-it renders them to HTML with raw HTML disabled (so "<div>" in Markdown stays
// visible text instead of becoming markup), and the storage reader maps that HTML into the same model.
// GFM task items ("- [ ] x") are recognised by the reader from the list item's text.

import MarkdownIt from 'markdown-it';
import type { MarkdownIt as MarkdownRenderer } from 'markdown-it';
import type { DocumentBuilder } from './documentBuilder.ts';
import { readStorage } from './storageReader.ts';

export function createMarkdownRenderer(): MarkdownRenderer {
  return new MarkdownIt({ html: false, linkify: false, typographer: false });
}

export function readMarkdown(source: string, builder: DocumentBuilder, renderer: MarkdownRenderer = createMarkdownRenderer()): void {
  const env = {};
  const tokens = renderer.parse(source, env);
  // markdown-it stops reading (silently) at its nesting limit, which protects its recursive parser;
  // the reader must say so, because the text below that depth is missing from the document.
  const limit = renderer.options.maxNesting ?? 100;
  let deepest = 0;
  for (const token of tokens) if (token.level > deepest) deepest = token.level;
  if (deepest >= limit - 1) {
    builder.warn('depth_capped', 'markdown', () =>
      `The Markdown nests lists or quotes deeper than the reader allows (${limit} levels of markup); the content below that depth was not read.`,
    );
  }
  readStorage(renderer.renderer.render(tokens, renderer.options, env), builder, { listItemTasks: true });
}
