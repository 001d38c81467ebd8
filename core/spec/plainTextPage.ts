// Plain-text pages: blank lines separate paragraphs, "-", "*", "•", "1." and "1)" start list items
// (indentation nests them), "# " lines are headings, "[ ]"/"[x]" items are tasks. The text is turned
// into simple HTML and read by the storage reader, so all formats share one mapping.

import { escapeText } from 'entities';
import type { DocumentBuilder } from './documentBuilder.ts';
import { readStorage } from './storageReader.ts';
import { lastOf } from './intStack.ts';

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const LIST_ITEM = /^([ \t]*)(?:[-*•+]|\d{1,3}[.)])\s+(.*)$/;

export function plainTextToHtml(source: string): string {
  const out: string[] = [];
  // Open lists as a stack of indents; each entry has an open <li>.
  const lists: number[] = [];
  let paragraph: string[] = [];

  const flushParagraph = () => {
    if (paragraph.length > 0) out.push(`<p>${paragraph.map(escapeText).join(' ')}</p>`);
    paragraph = [];
  };
  const closeLists = (toIndent: number) => {
    while (lists.length > 0 && lists[lists.length - 1]! > toIndent) {
      lists.pop();
      out.push('</li></ul>');
    }
  };

  for (const rawLine of source.replace(/\r\n?/g, '\n').split('\n')) {
    const line = rawLine.replace(/\s+$/, '');
    if (line === '') {
      flushParagraph();
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flushParagraph();
      closeLists(-1);
      const level = heading[1]!.length;
      out.push(`<h${level}>${escapeText(heading[2]!)}</h${level}>`);
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      flushParagraph();
      const indent = item[1]!.replace(/\t/g, '    ').length;
      closeLists(indent);
      const top = lastOf(lists);
      if (top === indent) out.push('</li><li>');
      else {
        lists.push(indent);
        out.push('<ul><li>');
      }
      out.push(escapeText(item[2]!));
      continue;
    }
    if (lists.length > 0 && /^\s/.test(line) && paragraph.length === 0) {
      // An indented line right under a list item continues that item.
      out.push(` ${escapeText(line.trim())}`);
      continue;
    }
    closeLists(-1);
    paragraph.push(line.trim());
  }
  flushParagraph();
  closeLists(-1);
  return out.join('');
}

export function readPlainText(source: string, builder: DocumentBuilder): void {
  readStorage(plainTextToHtml(source), builder, { listItemTasks: true });
}
