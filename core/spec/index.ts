// Entry point of the spec parser: a Confluence page body (storage format), a Markdown page or a plain
// text page in, a SpecDocument out. Unusable input is refused with a SpecInputError; recoverable damage
// (unclosed tags, skipped app macros, over-deep lists) is reported in SpecDocument.warnings.

import type { SpecDocument, SpecFormat } from './types.ts';
import { SpecInputError } from './types.ts';
import { DocumentBuilder } from './documentBuilder.ts';
import { readMarkdown } from './markdownPage.ts';
import { MAX_PAGE_BYTES, readPageInput } from './pageInput.ts';
import { readPlainText } from './plainTextPage.ts';
import { readStorage } from './storageReader.ts';

export { MAX_PAGE_BYTES } from './pageInput.ts';

export interface ParseSpecOptions {
  /** Input format; default 'storage' (Confluence storage format XHTML). */
  format?: SpecFormat;
  /** Page title; default: the first h1, else "Untitled page". */
  title?: string;
  /** Size limit in bytes (UTF-8); default MAX_PAGE_BYTES (5 MiB). */
  maxBytes?: number;
}

const FORMATS: readonly SpecFormat[] = ['storage', 'markdown', 'text'];

export function parseSpec(input: string | Uint8Array, options: ParseSpecOptions = {}): SpecDocument {
  const format = options.format ?? 'storage';
  if (!FORMATS.includes(format)) {
    throw new SpecInputError('unreadable', `Unknown page format '${String(format)}'; use 'storage', 'markdown' or 'text'.`);
  }
  const maxBytes = options.maxBytes ?? MAX_PAGE_BYTES;
  const { text, replaced } = readPageInput(input, maxBytes);
  const builder = new DocumentBuilder();
  if (replaced > 0) {
    builder.warn('invalid_utf8', '', () => `${replaced} characters were not valid UTF-8 and were replaced with '\uFFFD'.`);
  }
  if (format === 'markdown') readMarkdown(text, builder);
  else if (format === 'text') readPlainText(text, builder);
  else readStorage(text, builder);

  const doc = builder.finish({ format, title: options.title });
  if (doc.blocks.length === 0 && builder.headingCount === 0) {
    // Something was there but none of it is page text: say what was left out, so the author can act.
    const reasons = doc.warnings.filter((w) => w.code !== 'no_text_content' && w.code !== 'unclosed_tag');
    if (reasons.length > 0) {
      throw new SpecInputError('no_content', `The page has no readable content. ${reasons.map((w) => w.message).join(' ')}`);
    }
    throw new SpecInputError('empty', 'The page has no text content: there is nothing to break down.');
  }
  return doc;
}
