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
  readStorage(renderer.render(source), builder, { listItemTasks: true });
}
